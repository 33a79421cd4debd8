"""Recordings for the speech tests: Korean spoken by espeak-ng, re-encoded by PyAV into the formats
browsers and phones send.

espeak-ng's Korean is robotic, and the small Vosk model hears only parts of it. The sentences here
were chosen because the recogniser gets a word of each right (README, "Speech"): the tests assert
that word, which a broken decoder, a wrong sample rate or a lost chunk would lose.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import av
import numpy as np

# sentence, espeak-ng words per minute, a word the recogniser hears in it
HEARD = ("너무 슬퍼", 90, "너무")


def espeak_wav(text: str, words_per_minute: int = 90) -> bytes:
    """espeak-ng's Korean voice as WAV (22,050 Hz mono 16-bit)."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed: `make setup-dev` installs it")
    return subprocess.run(["espeak-ng", "-v", "ko", "-s", str(words_per_minute), "--stdout", text],
                          check=True, capture_output=True).stdout


def samples_of(wav_bytes: bytes) -> tuple[np.ndarray, int]:
    """float32 mono samples in -1..1 and their rate."""
    with wave.open(io.BytesIO(wav_bytes)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def padded(samples: np.ndarray, rate: int, before_s: float = 0.3, after_s: float = 0.5) -> np.ndarray:
    return np.concatenate([np.zeros(int(rate * before_s), np.float32), samples,
                           np.zeros(int(rate * after_s), np.float32)])


# name -> (container format, codec, sample rate, channels, the codec's sample format)
FORMATS = {
    "webm-opus": ("webm", "libopus", 48_000, 1, "s16"),
    "ogg-opus": ("ogg", "libopus", 48_000, 2, "s16"),
    "mp4-aac": ("mp4", "aac", 44_100, 2, "fltp"),
    "mp3": ("mp3", "libmp3lame", 44_100, 1, "s16p"),
    "wav-s16-44k-stereo": ("wav", "pcm_s16le", 44_100, 2, "s16"),
    "wav-f32-48k": ("wav", "pcm_f32le", 48_000, 1, "flt"),
    "wav-u8-8k": ("wav", "pcm_u8", 8_000, 1, "u8"),
    "flac-96k": ("flac", "flac", 96_000, 1, "s16"),
}


def encode(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """The samples (float32 mono) as a file of the named format, made by FFmpeg's encoders."""
    container_format, codec, out_rate, channels, sample_fmt = FORMATS[fmt]
    layout = "mono" if channels == 1 else "stereo"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=out_rate, layout=layout)
        stream.format = sample_fmt
        resampler = av.AudioResampler(format=sample_fmt, layout=layout, rate=out_rate)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def silence(seconds: float, fmt: str = "webm-opus", rate: int = 16_000) -> bytes:
    return encode(np.zeros(int(rate * seconds), np.float32), rate, fmt)


def noise(seconds: float, fmt: str = "wav-s16-44k-stereo", rate: int = 16_000, level: float = 0.02) -> bytes:
    rng = np.random.default_rng(7)
    return encode((rng.standard_normal(int(rate * seconds)) * level).astype(np.float32), rate, fmt)


def spoken(fmt: str, text: str = HEARD[0], words_per_minute: int = HEARD[1]) -> bytes:
    samples, rate = samples_of(espeak_wav(text, words_per_minute))
    return encode(padded(samples, rate), rate, fmt)


def wav_16k(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16_000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()
