"""A bounded load test of the whole stack on loopback: mixed traffic, fixed count, memory watched.

    python -m bench.load [--requests 3000] [--concurrency 32]     (make load)

70% of the recommendations repeat a small set of sentences (cache hits), 30% are new sentences;
every 10th call is feedback. Half the traffic goes through the HTTP gateway, half straight to the
gRPC recommender. Reports requests/s, p50/p99, the error rate, and the resident memory of each
process before and after. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import grpc
import httpx

from bench.common import demo_stack, measurement
from moodtune.v1 import recommender_pb2, recommender_pb2_grpc

REPEATED = ["오늘 발표 망쳐서 너무 속상해", "내일 면접이라 너무 떨려", "월급날이다 신난다", "비 오는 날 조용히 쉬고 싶어",
            "아 진짜 짜증나", "점심 뭐 먹지", "요즘 너무 외로워", "시험 끝나서 홀가분해"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_load(gateway: str, recommender: str, requests: int, concurrency: int, pids: dict[str, int],
                   max_seconds: float = 600, seed: int = 7) -> dict:
    rng = random.Random(seed)
    before = {name: rss_mb(pid) for name, pid in pids.items()}
    plan = []
    for i in range(requests):
        kind = "feedback" if i % 10 == 9 else ("repeat" if rng.random() < 0.7 else "new")
        plan.append((kind, rng.choice(REPEATED) if kind == "repeat" else f"부하 시험 새 문장 {seed}-{i} 오늘 기분은 {i % 6}",
                     "http" if i % 2 else "grpc"))
    latencies: list[float] = []
    errors: list[str] = []
    songs: list[int] = []
    deadline = time.monotonic() + max_seconds
    async with grpc.aio.insecure_channel(recommender) as channel, httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        stub = recommender_pb2_grpc.RecommenderStub(channel)

        async def one(kind: str, text: str, via: str, user: str) -> None:
            started = time.perf_counter()
            try:
                if kind == "feedback":
                    song = songs[-1] if songs else 1
                    if via == "http":
                        (await http.post("/v1/feedback", json={"user_id": user, "song_id": song,
                                                               "feedback": "liked"})).raise_for_status()
                    else:
                        await stub.SubmitFeedback(recommender_pb2.FeedbackRequest(
                            user_id=user, song_id=song, feedback=recommender_pb2.FEEDBACK_LIKED), timeout=30)
                elif via == "http":
                    response = await http.post("/v1/recommend", json={"text": text})
                    response.raise_for_status()
                    songs.append(response.json()["songs"][0]["song"]["song_id"])
                else:
                    answer = await stub.Recommend(recommender_pb2.RecommendRequest(text=text), timeout=30)
                    songs.append(answer.songs[0].song.song_id)
            except Exception as exc:  # counted, never fatal: the error rate is a result
                errors.append(f"{kind}/{via}: {type(exc).__name__}")
            latencies.append(time.perf_counter() - started)

        queue = list(reversed(plan))

        async def worker(n: int):
            while queue and time.monotonic() < deadline:
                kind, text, via = queue.pop()
                await one(kind, text, via, f"load-user-{n}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    after = {name: rss_mb(pid) for name, pid in pids.items()}
    summary = measurement("mixed", len(latencies), elapsed, latencies)
    return {"requests": len(latencies), "seconds": round(elapsed, 2), "requests_per_s": round(summary.rate, 1),
            "p50_ms": round(summary.p50_ms, 2), "p99_ms": round(summary.p99_ms, 2),
            "errors": len(errors), "error_rate": round(len(errors) / max(1, len(latencies)), 4),
            "error_kinds": sorted(set(errors))[:5], "concurrency": concurrency,
            "rss_mb_before": {k: round(v, 1) for k, v in before.items()},
            "rss_mb_after": {k: round(v, 1) for k, v in after.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    with demo_stack() as stack:
        result = asyncio.run(run_load(stack.gateway, stack.recommender.address, args.requests, args.concurrency,
                                      stack.pids()))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
