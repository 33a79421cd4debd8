"""Encoded audio (wav, flac, ogg, mp3, ... any rate, mono or stereo) -> 16 kHz mono float32, with PyAV.

PyAV bundles FFmpeg's decoders and resampler, so every common format reads the same way and
nothing depends on the system's codecs. Decoding stops at the end of the clip the front end
keeps (second 50), so a long file costs no more than a 50 s one.
"""

from __future__ import annotations

import io

import numpy as np

from services.common.audio.mel import CLIP_END_S, SAMPLE_RATE, MelError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class AudioError(MelError):
    """The bytes are not audio this front end can read; the message says why."""


def decode_audio(data: bytes, format_hint: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_seconds: float = CLIP_END_S) -> np.ndarray:
    """Mono float32 samples at 16 kHz in [-1, 1], at most `max_seconds` of them."""
    import av  # PyAV: only callers that decode audio need it

    if not data:
        raise AudioError("audio is empty (0 bytes)")
    if len(data) > max_bytes:
        raise AudioError(f"audio is {len(data)} bytes; the limit is {max_bytes}")
    hint = format_hint.strip().lower().lstrip(".") or None
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    got = 0
    try:
        with av.open(io.BytesIO(data), mode="r", format=hint) as container:
            if not container.streams.audio:
                raise AudioError("the file holds no audio stream")
            stream = container.streams.audio[0]
            # Planar float at 16 kHz in the source's layout; mono is the mean of the channels, as
            # Essentia's MonoLoader mixes (FFmpeg's own downmix would add 3 dB to a centred sound).
            resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
                    got += chunks[-1].size
                if got >= limit:
                    break
            else:
                for out in resampler.resample(None):  # flush what the resampler holds
                    chunks.append(out.to_ndarray().mean(axis=0))
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, IndexError, EOFError) as exc:
        raise AudioError(f"cannot decode the audio{f' as {hint}' if hint else ''}: {exc}") from exc
    if not chunks:
        raise AudioError("the audio stream decoded to no samples")
    samples = np.concatenate(chunks)[:limit].astype(np.float32)
    if not np.isfinite(samples).all():
        raise AudioError("the decoded audio holds NaN or infinite samples")
    return samples
