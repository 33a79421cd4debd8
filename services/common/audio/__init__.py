"""The audio front end shared by the classifier, ingest and training: audio or mel -> (48, T) dB frames.

    mel.py     the Kakao Arena mel contract (bands, frames, dB convention) and its NumPy extraction
    decode.py  encoded audio bytes -> 16 kHz mono (PyAV)
"""

from __future__ import annotations

import numpy as np

from services.common.audio.decode import DEFAULT_MAX_BYTES, AudioError, decode_audio
from services.common.audio.mel import (MIN_FRAMES, MIN_SECONDS, N_BANDS, SAMPLE_RATE, MelError, clip_seconds,
                                       validate_mel, waveform_to_mel)

__all__ = ["AudioError", "MelError", "N_BANDS", "SAMPLE_RATE", "MIN_FRAMES", "audio_to_mel", "decode_audio",
           "validate_mel", "waveform_to_mel"]


def audio_to_mel(data: bytes, format_hint: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_frames: int | None = None) -> np.ndarray:
    """Encoded audio -> the (48, T) dB mel of its seconds 20-50 (or of what there is), validated."""
    waveform = clip_seconds(decode_audio(data, format_hint, max_bytes=max_bytes))
    if len(waveform) < MIN_SECONDS * SAMPLE_RATE:
        raise AudioError(f"audio is {len(waveform) / SAMPLE_RATE:.2f} s long; at least {MIN_SECONDS:g} s are needed")
    return validate_mel(waveform_to_mel(waveform), max_frames=max_frames)
