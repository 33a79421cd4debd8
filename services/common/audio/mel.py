"""The mel front end: 16 kHz mono waveform -> (48, T) dB mel frames, as Kakao Arena extracted them.

The dataset's extraction (Essentia 2.1 beta): FrameGenerator(frameSize=512, hopSize=256) with
frames centred on multiples of the hop (the first one half out of the signal, zero padded),
Windowing(type='hann') (symmetric, normalised to a sum of 2), Spectrum (magnitude), MelBands
(numberBands=48, sampleRate=16000, highFrequencyBound=8000, warpingFormula='slaneyMel',
normalize='unit_tri', type='power'). This module does the same in NumPy, so serving needs no
Essentia; tests/unit/test_audio_frontend.py pins it against Essentia's own output.

Essentia's MelBands places the band edges on the Slaney mel scale but draws each triangle (and its
unit_tri area) on the HTK mel scale; the filterbank below reproduces that, measured against it.

dB convention (DB_REFERENCE_POWER, DB_FLOOR): dB = 10·log10(max(P, P_floor) / P_ref) with
P_ref = 1e-6 and the floor at -100 dB (P_floor = 1e-16), where P is the mel band power of a
waveform in [-1, 1]. The dataset does not publish its scaling; this reference puts audio where its
files are (about -100 .. +30): a full-scale 1 kHz sine reads about +44 dB in its band, music
mastered around -20 dBFS RMS peaks near +30 dB with a median near 0, digital silence reads -100.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000
FRAME_SIZE = 512
HOP_SIZE = 256
N_BANDS = 48
HIGH_HZ = 8_000.0
CLIP_START_S, CLIP_END_S = 20.0, 50.0  # the dataset's seconds 20-50
DATASET_FRAMES = 1876  # 30 s at hop 256, frames centred on 0 .. 30 s
MIN_SECONDS = 2.0
MIN_FRAMES = int(MIN_SECONDS * SAMPLE_RATE / HOP_SIZE)  # 125
DB_REFERENCE_POWER = 1e-6
DB_FLOOR = -100.0
DB_CONVENTION = (
    "10*log10(max(P, 1e-16) / 1e-6): P = Essentia MelBands power (unit_tri, slaneyMel) of a "
    "16 kHz waveform in [-1, 1] through a Hann window normalised to sum 2; floor -100 dB"
)


class MelError(ValueError):
    """The input cannot be read as (48, T) dB mel frames; the message says why."""


def _slaney_hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(hz < 1000.0, hz / (200.0 / 3.0), 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / log_step)


def _slaney_mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(mel < 15.0, mel * (200.0 / 3.0), 1000.0 * np.exp(log_step * (mel - 15.0)))


def _htk_hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_filterbank(n_bands: int = N_BANDS, n_bins: int = FRAME_SIZE // 2 + 1,
                   sample_rate: int = SAMPLE_RATE, high_hz: float = HIGH_HZ) -> np.ndarray:
    """[n_bands, n_bins] weights applied to the power spectrum (Essentia MelBands, unit_tri)."""
    edges = _slaney_mel_to_hz(np.linspace(0.0, float(_slaney_hz_to_mel(high_hz)), n_bands + 2))
    bin_hz = (sample_rate / 2.0) / (n_bins - 1)
    freqs = np.arange(n_bins) * bin_hz
    warped = _htk_hz_to_mel(freqs)
    bank = np.zeros((n_bands, n_bins), dtype=np.float64)
    for band in range(n_bands):
        low, centre, high = _htk_hz_to_mel(edges[band : band + 3])
        rising = (freqs >= edges[band]) & (freqs < edges[band + 1])
        falling = (freqs >= edges[band + 1]) & (freqs < edges[band + 2])
        bank[band, rising] = (warped[rising] - low) / (centre - low)
        bank[band, falling] = (high - warped[falling]) / (high - centre)
        bank[band] *= 2.0 / (high - low)
    return bank.astype(np.float32)


def hann_window(size: int = FRAME_SIZE) -> np.ndarray:
    """Essentia's Hann: symmetric, scaled so that its samples sum to 2."""
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(size) / (size - 1))
    return (window * (2.0 / window.sum())).astype(np.float32)


_BANK = mel_filterbank()
_WINDOW = hann_window()


def frame_count(samples: int) -> int:
    """Frames Essentia's FrameGenerator yields: centred on 0, hop, 2·hop, ... up to the end, zero padded."""
    return -(-samples // HOP_SIZE) + 1 if samples > 0 else 0


def mel_power(waveform: np.ndarray) -> np.ndarray:
    """[48, T] mel band power of a 16 kHz mono float waveform in [-1, 1]."""
    x = np.asarray(waveform, dtype=np.float32)
    count = frame_count(len(x))
    half = FRAME_SIZE // 2
    padded = np.concatenate([np.zeros(half, np.float32), x, np.zeros(FRAME_SIZE, np.float32)])
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(count, FRAME_SIZE), strides=(padded.strides[0] * HOP_SIZE, padded.strides[0]), writeable=False
    )
    spectrum = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)).astype(np.float32)
    return (spectrum * spectrum) @ _BANK.T.astype(np.float32)  # [T, 48]


def power_to_db(power: np.ndarray) -> np.ndarray:
    floor = DB_REFERENCE_POWER * 10.0 ** (DB_FLOOR / 10.0)
    db = 10.0 * np.log10(np.maximum(power, floor) / DB_REFERENCE_POWER)
    return np.maximum(db, DB_FLOOR).astype(np.float32)  # exactly the floor despite float rounding


def clip_seconds(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Seconds 20-50 of a song at least 50 s long; a shorter one from its start, up to 30 s."""
    start, end = int(CLIP_START_S * sample_rate), int(CLIP_END_S * sample_rate)
    if len(waveform) >= end:
        return waveform[start:end]
    return waveform[: end - start]


def waveform_to_mel(waveform: np.ndarray) -> np.ndarray:
    """[48, T] float32 dB mel frames of a 16 kHz mono waveform (the clip is the caller's choice)."""
    return power_to_db(mel_power(waveform)).T.copy()


def validate_mel(array, *, min_frames: int = MIN_FRAMES, max_frames: int | None = None) -> np.ndarray:
    """A (48, T) float32 dB array, or MelError naming what is wrong with the input."""
    mel = np.asarray(array)
    if mel.ndim != 2 or mel.shape[0] != N_BANDS:
        raise MelError(f"mel has shape {tuple(mel.shape)}; expected ({N_BANDS}, T): {N_BANDS} mel bands x frames")
    if not np.issubdtype(mel.dtype, np.number):
        raise MelError(f"mel has dtype {mel.dtype}; expected floating-point dB values")
    if mel.shape[1] < min_frames:
        raise MelError(f"mel has {mel.shape[1]} frames; at least {min_frames} ({MIN_SECONDS:g} s) are needed")
    if max_frames is not None and mel.shape[1] > max_frames:
        raise MelError(f"mel has {mel.shape[1]} frames; the limit is {max_frames}")
    mel = mel.astype(np.float32)
    if not np.isfinite(mel).all():
        raise MelError("mel holds NaN or infinite values")
    return mel


def audio_input_contract(train_frames: int) -> dict:
    """The input section of an audio model card: what a mel must be for the model."""
    return {
        "bands": N_BANDS, "sample_rate": SAMPLE_RATE, "frame_size": FRAME_SIZE, "hop_size": HOP_SIZE,
        "window": "hann (essentia, normalised)", "mel_scale": "slaneyMel edges, unit_tri", "high_hz": HIGH_HZ,
        "clip_seconds": [CLIP_START_S, CLIP_END_S], "frames": DATASET_FRAMES, "train_frames": int(train_frames),
        "min_frames": MIN_FRAMES, "db_convention": DB_CONVENTION, "db_reference_power": DB_REFERENCE_POWER,
        "db_floor": DB_FLOOR,
    }
