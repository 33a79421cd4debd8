"""The six emotions in canonical order (DESIGN.md, "The six emotions").

Every vector in the system uses this order. The proto enum number is index + 1,
because proto3 keeps 0 for "unset".
"""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = ("anger", "tension", "sadness", "peace", "joy", "neutral")
KOREAN: dict[str, str] = {
    "anger": "분노",
    "tension": "긴장",
    "sadness": "슬픔",
    "peace": "평화",
    "joy": "기쁨",
    "neutral": "중립",
}
NUM_EMOTIONS = len(EMOTIONS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}


def emotion_index(name: str) -> int:
    """Canonical index of an emotion id or its Korean name; ValueError if unknown."""
    key = name.strip().lower()
    if key in INDEX:
        return INDEX[key]
    for english, korean in KOREAN.items():
        if name.strip() == korean:
            return INDEX[english]
    raise ValueError(f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}")


def to_proto_enum(index: int) -> int:
    """Canonical index -> moodtune.v1.Emotion number."""
    return index + 1


def from_proto_enum(number: int) -> int:
    """moodtune.v1.Emotion number -> canonical index; ValueError for UNSPECIFIED or unknown."""
    if not 1 <= number <= NUM_EMOTIONS:
        raise ValueError(f"emotion enum {number} is not one of the six emotions")
    return number - 1
