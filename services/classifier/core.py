"""What a Classify call computes, shared by the gRPC service and the in-process classifier.

A call is planned into "units" (one per utterance, one per lyric window), the
units are run through the model (by the dynamic batcher in the service, directly
in-process), and the results are assembled back into one Classification per text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from services.classifier.artifact import ModelCard
from services.classifier.lyrics import Window, aggregate, split_windows
from services.classifier.model import EmotionModel
from services.common.labels import EMOTIONS


class TextKind(str, Enum):
    UTTERANCE = "utterance"
    LYRICS = "lyrics"


@dataclass(frozen=True)
class Classification:
    probabilities: tuple[float, ...]  # six, canonical order
    highlight: str = ""  # LYRICS only
    windows: int = 0  # LYRICS only

    @property
    def index(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def label(self) -> str:
        return EMOTIONS[self.index]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.index])

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(p), 6) for name, p in zip(EMOTIONS, self.probabilities)}


@dataclass
class Plan:
    kind: TextKind
    units: list[str] = field(default_factory=list)
    # Per input text: its windows (LYRICS) and where its units start in `units`.
    windows: list[list[Window]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    card: ModelCard | None = None  # its per-kind calibration is applied to the units' probabilities


class LimitError(ValueError):
    """A request breaks a limit; the message names the offending item."""


@dataclass(frozen=True)
class Limits:
    max_texts: int = 256
    max_utterance_chars: int = 2000
    max_lyrics_chars: int = 20000

    def check(self, texts: list[str], kind: TextKind) -> None:
        if not texts:
            raise LimitError("texts is empty: send at least one text")
        if len(texts) > self.max_texts:
            raise LimitError(f"{len(texts)} texts in one request; the limit is {self.max_texts}")
        limit = self.max_lyrics_chars if kind is TextKind.LYRICS else self.max_utterance_chars
        for i, text in enumerate(texts):
            if not text.strip():
                raise LimitError(f"texts[{i}] is empty or whitespace only")
            if len(text) > limit:
                raise LimitError(
                    f"texts[{i}] has {len(text)} characters; the limit for {kind.value} is {limit}"
                )


def plan(texts: list[str], kind: TextKind, model: EmotionModel, window_lines: int) -> Plan:
    result = Plan(kind, card=model.card)
    budget = model.card.max_length - model.overhead_tokens
    for text in texts:
        result.starts.append(len(result.units))
        if kind is TextKind.LYRICS:
            windows = split_windows(text, model.count_tokens, budget, window_lines)
            result.windows.append(windows)
            result.units.extend(w.text for w in windows)
        else:
            result.units.append(text.strip())
    return result


def assemble(plan: Plan, probabilities: np.ndarray) -> list[Classification]:
    if plan.card is not None:
        probabilities = plan.card.calibrate(probabilities, plan.kind.value)
    if plan.kind is TextKind.UTTERANCE:
        return [Classification(tuple(float(p) for p in row)) for row in probabilities]
    results = []
    for start, windows in zip(plan.starts, plan.windows):
        song, highlight = aggregate(windows, probabilities[start : start + len(windows)])
        results.append(Classification(tuple(float(p) for p in song), highlight, len(windows)))
    return results
