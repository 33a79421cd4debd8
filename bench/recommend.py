"""Recommendation latency and throughput, and search latency against catalog size.

    python -m bench.recommend [--requests 300] [--sizes 1000,100000,700000]

1. The stack on loopback (classifier service with the shipped model, recommender on the demo catalog
   in the embedded Qdrant, redis-server, gateway), driven at concurrency 1 and 32, side by side:
   gRPC recommender and HTTP gateway, cached (one sentence repeated) and uncached (every sentence new).
   Goals: cached p50 under 5 ms over gRPC; uncached p50 under 30 ms.
2. Search latency (top 60 by cosine) for synthetic catalogs of each size: Qdrant's embedded local
   mode against a NumPy brute-force baseline (normalised matrix times the query, argpartition).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

import grpc
import httpx
import numpy as np

from bench.common import Measurement, demo_stack, measurement, print_table, save
from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
from training.corpora import load_project


async def drive(call, texts: list[str], concurrency: int, name: str) -> Measurement:
    queue = list(reversed(texts))
    latencies: list[float] = []

    async def worker():
        while queue:
            text = queue.pop()
            started = time.perf_counter()
            await call(text)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return measurement(name, len(texts), time.perf_counter() - started, latencies)


async def stack_rows(recommender: str, gateway: str, requests: int) -> list[Measurement]:
    corpus = [e.text for e in load_project("conversation")]
    fresh = iter(f"{corpus[i % len(corpus)]} {i}" for i in range(10**6))  # never seen before: uncached
    repeated = "오늘 발표 망쳐서 너무 속상해"
    rows = []
    async with grpc.aio.insecure_channel(recommender) as channel, httpx.AsyncClient(base_url=gateway, timeout=60) as http:
        stub = recommender_pb2_grpc.RecommenderStub(channel)

        async def grpc_call(text):
            await stub.Recommend(recommender_pb2.RecommendRequest(text=text), timeout=60)

        async def http_call(text):
            response = await http.post("/v1/recommend", json={"text": text})
            response.raise_for_status()

        await grpc_call(repeated)  # warm the cache for the repeated sentence
        for transport, call in (("gRPC recommender", grpc_call), ("HTTP gateway", http_call)):
            for concurrency in (1, 32):
                rows.append(await drive(call, [repeated] * requests, concurrency,
                                        f"{transport}, cached, c={concurrency}"))
                rows.append(await drive(call, [next(fresh) for _ in range(requests)], concurrency,
                                        f"{transport}, uncached, c={concurrency}"))
    return rows


def search_rows(sizes: list[int], queries: int = 200) -> list[dict]:
    from qdrant_client import QdrantClient, models

    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        vectors = rng.dirichlet(np.full(6, 0.5), size=size).astype(np.float32)
        probes = rng.dirichlet(np.full(6, 0.5), size=queries).astype(np.float32)
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        numpy_times = []
        for q in probes:
            started = time.perf_counter()
            scores = unit @ (q / np.linalg.norm(q))
            top = np.argpartition(-scores, 60)[:60]
            top[np.argsort(-scores[top])]
            numpy_times.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            client = QdrantClient(path=tmp)
            client.create_collection("s", vectors_config={"emotion": models.VectorParams(
                size=6, distance=models.Distance.COSINE)})
            loading = time.perf_counter()
            client.upload_collection("s", vectors={"emotion": vectors}, ids=range(1, size + 1), batch_size=10_000)
            load_s = time.perf_counter() - loading
            qdrant_times = []
            for q in probes:
                started = time.perf_counter()
                client.query_points("s", query=q.tolist(), using="emotion", limit=60)
                qdrant_times.append(time.perf_counter() - started)
            client.close()
        row = {"songs": size, "load_s": load_s,
               "qdrant_p50_ms": float(np.median(qdrant_times) * 1000), "qdrant_p99_ms": float(np.quantile(qdrant_times, 0.99) * 1000),
               "numpy_p50_ms": float(np.median(numpy_times) * 1000), "numpy_p99_ms": float(np.quantile(numpy_times, 0.99) * 1000)}
        print(f"{size:>9,} songs: Qdrant local p50 {row['qdrant_p50_ms']:7.2f} ms p99 {row['qdrant_p99_ms']:7.2f} ms | "
              f"NumPy p50 {row['numpy_p50_ms']:7.2f} ms p99 {row['numpy_p99_ms']:7.2f} ms | "
              f"Qdrant/NumPy {row['qdrant_p50_ms'] / row['numpy_p50_ms']:.1f}x (load {load_s:.0f} s)", flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sizes", default="1000,100000,700000")
    args = parser.parse_args(argv)

    with demo_stack() as stack:
        rows = asyncio.run(stack_rows(stack.recommender.address, stack.gateway, args.requests))
    print_table(rows, unit="requests/s")
    search = search_rows([int(s) for s in args.sizes.split(",")])
    path = save("recommend", {"rows": [r.__dict__ | {"rate": r.rate} for r in rows], "search": search})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
