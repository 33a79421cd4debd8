"""EmotionScores <-> six probabilities, the one conversion every service needs."""

from __future__ import annotations

from collections.abc import Sequence

from moodtune.v1 import emotion_pb2
from services.common.labels import NUM_EMOTIONS, to_proto_enum


def scores_to_proto(probabilities: Sequence[float]) -> emotion_pb2.EmotionScores:
    values = [float(p) for p in probabilities]
    if len(values) != NUM_EMOTIONS:
        raise ValueError(f"expected {NUM_EMOTIONS} probabilities, got {len(values)}")
    top = max(range(NUM_EMOTIONS), key=values.__getitem__)
    return emotion_pb2.EmotionScores(
        probabilities=values, label=to_proto_enum(top), confidence=values[top]
    )


def scores_from_proto(message: emotion_pb2.EmotionScores) -> tuple[float, ...]:
    if len(message.probabilities) != NUM_EMOTIONS:
        raise ValueError(f"EmotionScores has {len(message.probabilities)} probabilities, expected 6")
    return tuple(message.probabilities)
