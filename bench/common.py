"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import json
import platform
import statistics
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    name: str
    items: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.items / self.seconds


def measurement(name: str, items: int, seconds: float, latencies_s: list[float]) -> Measurement:
    ordered = sorted(latencies_s)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return Measurement(name, items, seconds, statistics.median(ordered) * 1000, p99 * 1000)


def print_table(rows: list[Measurement], unit: str = "sentences/s") -> None:
    print(f"{'':44} {unit:>14} {'p50 ms':>9} {'p99 ms':>9}")
    for r in rows:
        print(f"{r.name:44} {r.rate:14.1f} {r.p50_ms:9.2f} {r.p99_ms:9.2f}")


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
               "when": time.strftime("%Y-%m-%d %H:%M"), **payload}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=lambda o: asdict(o)) + "\n")
    return path


@dataclass
class Stack:
    classifier: object  # tests.support.processes.RunningService
    recommender: object
    gateway: str  # its base URL (with .pid)
    redis_pid: int

    def pids(self) -> dict[str, int]:
        return {"gateway": self.gateway.pid, "classifier": self.classifier.process.pid,
                "recommender": self.recommender.process.pid, "redis": self.redis_pid}


@contextmanager
def demo_stack():
    """The whole product on loopback for a benchmark: the classifier service with the shipped model
    (all cores), the demo catalog ingested into a fresh embedded store, redis-server, the recommender,
    and the gateway with its rate limit lifted (a benchmark is one client hammering on purpose)."""
    import os
    import subprocess
    import sys
    import tempfile

    from services.common.settings import DEFAULT_MODEL_DIR
    from tests.support.processes import classifier_service, gateway_process, recommender_service
    from tests.support.redis_server import redis_server

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with classifier_service(DEFAULT_MODEL_DIR, tmp, MOODTUNE_CLASSIFIER_INTRA_OP_THREADS=0) as classifier:
            env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": classifier.address,
                   "MOODTUNE_QDRANT_PATH": str(tmp / "q"), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
            subprocess.run([str(Path(sys.executable).parent / "moodtune"), "ingest", "--demo", "--job-dir",
                            str(tmp / "job")], env=env, check=True, capture_output=True)
            with redis_server(tmp / "redis") as (redis_url, redis_process), \
                    recommender_service(tmp / "q", classifier.address, redis_url, tmp) as recommender, \
                    gateway_process(recommender.address, tmp, MOODTUNE_GATEWAY_RATE_PER_MINUTE=10**7,
                                    MOODTUNE_GATEWAY_RATE_BURST=10**6) as gateway:
                yield Stack(classifier, recommender, gateway, redis_process.pid)
