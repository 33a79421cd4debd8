"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import json
import platform
import statistics
import time
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
