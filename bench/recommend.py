"""Recommendation latency and throughput: the demo stack, a bare gRPC floor, and a 700k-song catalog.

    python -m bench.recommend [--requests 300] [--catalog-size 700000]

1. The stack on loopback (classifier service with the shipped model, recommender on the demo catalog
   in the embedded Qdrant Edge store, redis-server, gateway), driven at concurrency 1 and 32, side by
   side: gRPC recommender and HTTP gateway, cached (one sentence repeated) and uncached (every sentence
   new); and a bare grpc.aio echo service (bench/echo.py) with the recommender's response size, the
   floor of a Python gRPC round trip. Goals: cached p50 at c=1 <= 3x the echo's; cached throughput at
   c=32 >= at c=1.
2. A synthetic catalog of N songs (default 700,000, the Kakao Arena catalog's size; Dirichlet vectors,
   full payloads) loaded into an embedded Edge store through the store interface, then: one classifier
   call and one top-60 search (with payloads) measured alone, then the recommender over that store,
   uncached, at concurrency 1. Goal: its p50 <= 1.2x (classifier call + search).
Search against catalog size (Edge vs local mode vs NumPy) is bench/search.py.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

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


async def echo_rows(requests: int, payload: bytes) -> list[Measurement]:
    import subprocess
    import sys

    from bench.echo import METHOD
    from tests.support.processes import free_port, stop

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.echo", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary(METHOD)

            async def call(_):
                await echo(payload, timeout=60)

            await call(None)
            return [await drive(call, [""] * requests, c, f"bare grpc.aio echo, c={c}") for c in (1, 32)]
    finally:
        stop(server)


def synthetic_songs(start: int, count: int, rng: np.random.Generator):
    from services.common.catalog import Genre, Song

    vectors = rng.dirichlet(np.full(6, 0.5), size=count)
    genres = [Genre("GN0100", "발라드"), Genre("GN0200", "댄스"), Genre("GN0300", "랩/힙합"), Genre("GN0400", "R&B/Soul")]
    labels = ["anger", "tension", "sadness", "peace", "joy", "neutral"]
    return [Song(song_id=start + i + 1, title=f"합성 곡 {start + i + 1}", artists=[f"가수 {(start + i) % 50_000}"],
                 album=f"앨범 {(start + i) // 12}", genres=[genres[(start + i) % 4]], issue_year=1970 + (start + i) % 55,
                 probabilities=v.tolist(), label=labels[int(np.argmax(v))], highlight="합성된 가사 한 줄\n둘째 줄",
                 source_url=f"https://www.melon.com/song/detail.htm?songId={start + i + 1}", model_version="synthetic",
                 melon_song_id=start + i + 1) for i, v in enumerate(vectors)]


def big_catalog_rows(size: int, classifier_addr: str, requests: int, tmp: Path) -> dict:
    from services.classifier.client import connect as connect_classifier
    from services.common import catalog
    from services.common.settings import CommonSettings
    from tests.support.processes import recommender_service
    from tests.support.redis_server import redis_server

    corpus = [e.text for e in load_project("conversation")]
    texts = [f"{corpus[i % len(corpus)]} {i}" for i in range(3 * requests)]
    rng = np.random.default_rng(0)
    path = tmp / "big"
    (tmp / "big-rec").mkdir()
    started = time.perf_counter()
    with catalog.connect(CommonSettings(qdrant_path=path)) as store:
        store.ensure_schema()
        for start in range(0, size, 10_000):
            store.upsert(synthetic_songs(start, min(10_000, size - start), rng))
        upserted = time.perf_counter()
        store.finish_bulk_load()
        load = {"songs": store.count(), "upsert_s": upserted - started, "index_s": time.perf_counter() - upserted}
        print(f"big catalog: {load['songs']:,} songs, upsert {load['upsert_s']:.0f} s + index {load['index_s']:.0f} s",
              flush=True)
        classifier = connect_classifier(CommonSettings(), address=classifier_addr)
        classify_s, search_s = [], []
        for text in texts[requests:2 * requests]:  # sentences the recommender will not see
            t = time.perf_counter()
            (result,) = classifier.classify([text])
            classify_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            store.search([result.probabilities], 60)
            search_s.append(time.perf_counter() - t)
        classifier.close()
    alone = [measurement("classifier call alone", requests, sum(classify_s), classify_s),
             measurement("top-60 search alone (with payloads)", requests, sum(search_s), search_s)]
    with redis_server(tmp / "big-redis") as (redis_url, _), \
            recommender_service(path, classifier_addr, redis_url, tmp / "big-rec") as service:
        async def run() -> Measurement:
            async with grpc.aio.insecure_channel(service.address) as channel:
                stub = recommender_pb2_grpc.RecommenderStub(channel)

                async def call(text):
                    await stub.Recommend(recommender_pb2.RecommendRequest(text=text), timeout=60)

                await call(texts[-1])
                return await drive(call, texts[:requests], 1, f"recommender on {size:,} songs, uncached, c=1")
        rows = alone + [asyncio.run(run())]
    return {"load": load, "rows": rows,
            "ratio": rows[2].p50_ms / (rows[0].p50_ms + rows[1].p50_ms)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--catalog-size", type=int, default=700_000, help="0 = skip the big catalog")
    args = parser.parse_args(argv)

    with demo_stack() as stack:
        rows = asyncio.run(stack_rows(stack.recommender.address, stack.gateway, args.requests))
        sample = recommender_pb2_grpc.RecommenderStub(grpc.insecure_channel(stack.recommender.address)).Recommend(
            recommender_pb2.RecommendRequest(text="오늘 발표 망쳐서 너무 속상해"), timeout=60)
        rows += asyncio.run(echo_rows(args.requests, sample.SerializeToString()))
        print_table(rows, unit="requests/s")
        by = {r.name: r for r in rows}
        c1, c32 = by["gRPC recommender, cached, c=1"], by["gRPC recommender, cached, c=32"]
        ratios = {"cached p50 c=1 / echo p50 c=1": c1.p50_ms / by["bare grpc.aio echo, c=1"].p50_ms,
                  "cached throughput c=32 / c=1": c32.rate / c1.rate}
        big = None
        if args.catalog_size:
            with tempfile.TemporaryDirectory() as tmp:
                big = big_catalog_rows(args.catalog_size, stack.classifier.address, args.requests, Path(tmp))
            print_table(big["rows"], unit="requests/s")
            ratios["uncached p50 on big catalog / (classify + search)"] = big["ratio"]
    for name, value in ratios.items():
        print(f"{name:52} {value:6.2f}x")
    path = save("recommend", {"rows": [r.__dict__ | {"rate": r.rate} for r in rows], "ratios": ratios,
                              "big_catalog": big and {"load": big["load"],
                                                      "rows": [r.__dict__ | {"rate": r.rate} for r in big["rows"]]}})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
