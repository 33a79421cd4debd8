"""A song's fused emotion: the one `emotion` vector that MATCH and REGULATE search (issue 14).

    emotion = normalise((1 - w) * lyrics + w * audio_emotion),  w = MOODTUNE_FUSION_AUDIO_WEIGHT

A song with one signal gets that signal's vector unchanged. Ingest fuses once, at write time, so
search stays one nearest-neighbour query; changing the weight means re-ingesting (the catalog
version then changes every cached pool).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.common.labels import EMOTIONS

DEFAULT_AUDIO_WEIGHT = 0.3  # README, "Sound in the catalog": the measured precision per weight


def fuse(lyrics: Sequence[float] | None, audio: Sequence[float] | None, audio_weight: float) -> list[float]:
    if not 0.0 <= audio_weight <= 1.0:
        raise ValueError(f"the audio weight must be within 0..1, not {audio_weight}")
    parts = [(np.asarray(v, dtype=np.float64), w) for v, w in ((lyrics, 1.0 - audio_weight), (audio, audio_weight))
             if v is not None and len(v)]
    if not parts:
        raise ValueError("a song needs lyrics or sound to have an emotion")
    if len(parts) == 1:
        mixed = parts[0][0]
    else:
        mixed = sum(np.clip(v, 0.0, None) / max(v.sum(), 1e-12) * w for v, w in parts)
    mixed = np.clip(mixed, 0.0, None)
    return (mixed / mixed.sum()).tolist()


def top_label(vector: Sequence[float]) -> str:
    return EMOTIONS[int(np.argmax(vector))]
