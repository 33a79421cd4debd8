"""Any recording a browser or phone makes -> 16 kHz mono 16-bit PCM, in chunks, bounded in length.

PyAV bundles FFmpeg's demuxers and decoders, so webm/opus, ogg/opus, mp4/aac, wav (any rate and
sample format, 32-bit float included), mp3 and flac all take the same path. The container is
found from the bytes; the sender's Content-Type only appears in error messages. Decoding stops as
soon as the output passes the length limit, so a small file that expands to hours costs little.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import av

from services.common.speech import AudioTooLarge, UnsupportedAudio

RATE = 16_000  # what the Vosk model was trained on
BYTES_PER_SAMPLE = 2
CHUNK_BYTES = RATE // 4 * BYTES_PER_SAMPLE  # a quarter second per recogniser call


def _described(content_type: str) -> str:
    return f" (sent as {content_type})" if content_type else ""


def pcm_chunks(data: bytes, max_seconds: float, content_type: str = "") -> Iterator[bytes]:
    """Yields the recording as 16 kHz mono s16 PCM, about a quarter second per chunk.

    Raises UnsupportedAudio (naming the problem) and AudioTooLarge (past `max_seconds`).
    """
    if not data:
        raise UnsupportedAudio("the recording is empty")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise UnsupportedAudio(f"not a recording FFmpeg can read{_described(content_type)}: {_reason(exc)}") from None
    with container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise UnsupportedAudio(f"the {container.format.name} file has no audio stream{_described(content_type)}")
        limit = int(max_seconds * RATE) * BYTES_PER_SAMPLE
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        pending, produced = bytearray(), 0
        try:
            for frame in _frames(container, stream):
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().tobytes()
                    produced += len(pcm)
                    if produced > limit:
                        raise AudioTooLarge(f"the recording is longer than {max_seconds:g} s")
                    pending += pcm
                    while len(pending) >= CHUNK_BYTES:
                        yield bytes(pending[:CHUNK_BYTES])
                        del pending[:CHUNK_BYTES]
        except (av.FFmpegError, ValueError) as exc:
            codec = stream.codec_context.name if stream.codec_context else "unknown codec"
            raise UnsupportedAudio(f"cannot decode the {codec} audio in this {container.format.name} file"
                                   f"{_described(content_type)}: {_reason(exc)}") from None
        if pending:
            yield bytes(pending)
        if produced == 0:
            raise UnsupportedAudio(f"the {container.format.name} file holds no audio samples{_described(content_type)}")


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _frames(container, stream):
    yield from container.decode(stream)
    yield None  # flushes the resampler


def seconds_of(pcm_bytes: int) -> float:
    return pcm_bytes / BYTES_PER_SAMPLE / RATE
