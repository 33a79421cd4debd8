"""Every song's outcome, counted and written to the job directory, so a crawl can resume.

Each outcome is one JSON line in `<job dir>/outcomes.jsonl`, appended and flushed
as it happens. A crawl started again with the same job directory skips the songs
that were stored or skipped before (a failed song is tried again), so a crawl
killed midway finishes the rest, and the report still accounts for every song.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

STORED, SKIPPED, FAILED = "stored", "skipped", "failed"


@dataclass
class Ledger:
    job_dir: Path
    seen: int = 0
    outcomes: Counter = field(default_factory=Counter)  # (outcome, reason) -> songs, this run
    previous: dict[int, str] = field(default_factory=dict)  # song id -> outcome of an earlier run
    labelled: int = 0
    signals: Counter = field(default_factory=Counter)  # stored songs by signal: lyrics, sound, both
    sound_failures: Counter = field(default_factory=Counter)  # reason -> songs whose sound was unusable

    def __post_init__(self):
        self.job_dir = Path(self.job_dir)
        self.job_dir.mkdir(parents=True, exist_ok=True)
        self._path = self.job_dir / "outcomes.jsonl"
        self._lock = threading.Lock()
        if self._path.exists():
            for line in self._path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a kill
                    continue
                self.previous[int(record["song_id"])] = record["outcome"]
        self._file = open(self._path, "a", encoding="utf-8")

    def done_before(self, song_id: int) -> bool:
        return self.previous.get(song_id) in (STORED, SKIPPED)

    def record(self, song_ids: list[int], outcome: str, reason: str = "") -> None:
        with self._lock:
            for song_id in song_ids:
                self._file.write(json.dumps({"song_id": song_id, "outcome": outcome, "reason": reason}) + "\n")
                self.outcomes[(outcome, reason)] += 1
            self._file.flush()
            os.fsync(self._file.fileno())

    def count_signals(self, stored: list[dict]) -> None:
        """`stored`: each stored song's `signals` (lyrics and/or sound)."""
        with self._lock:
            for signals in stored:
                self.signals["with lyrics"] += "lyrics" in signals
                self.signals["with sound"] += "sound" in signals
                self.signals["with both"] += len(signals) == 2

    def sound_failed(self, reason: str) -> None:
        with self._lock:
            self.sound_failures[reason] += 1

    def count(self, outcome: str) -> int:
        return sum(n for (o, _), n in self.outcomes.items() if o == outcome)

    def report(self) -> dict:
        resumed = sum(1 for o in self.previous.values() if o in (STORED, SKIPPED))
        by_reason = lambda outcome: {r: n for (o, r), n in sorted(self.outcomes.items()) if o == outcome}
        return {
            "seen": self.seen,
            "already_done": resumed,
            "labelled": self.labelled,
            "stored": self.count(STORED),
            "skipped": by_reason(SKIPPED),
            "failed": by_reason(FAILED),
            "unaccounted": self.seen - resumed - sum(self.outcomes.values()),
            # Sound (issue 14): stored songs per signal; "neither" = skipped for want of lyrics and sound.
            "signals": {**{k: self.signals[k] for k in ("with lyrics", "with sound", "with both")},
                        "neither": self.count(SKIPPED)},
            "sound_failed": dict(sorted(self.sound_failures.items())),
        }

    def close(self) -> None:
        self._file.close()


def format_report(report: dict) -> str:
    def part(name: str) -> str:
        counts = report[name]
        total = sum(counts.values())
        detail = ", ".join(f"{reason} {n}" for reason, n in counts.items())
        return f"{name} {total}" + (f" ({detail})" if detail else "")

    line = (f"seen {report['seen']} · stored {report['stored']} · labelled {report['labelled']} · "
            f"{part('skipped')} · {part('failed')}")
    if "signals" in report:
        signals = report["signals"]
        line += " · " + ", ".join(f"{name} {n}" for name, n in signals.items())
        if report["sound_failed"]:
            line += " · sound unusable " + ", ".join(f"{r} {n}" for r, n in report["sound_failed"].items())
    if report["already_done"]:
        line += f" · already done in an earlier run {report['already_done']}"
    if report["unaccounted"]:
        line += f" · NOT FINISHED {report['unaccounted']}"
    return line
