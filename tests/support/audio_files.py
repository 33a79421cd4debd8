"""Audio files generated in the test (PyAV's encoders): a tone in any container, rate and layout."""

from __future__ import annotations

import io

import numpy as np

CODECS = {"wav": "pcm_s16le", "flac": "flac", "mp3": "libmp3lame"}  # ogg: Vorbis through sox


def tone(seconds: float, rate: int, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def encode(samples: np.ndarray, rate: int, container: str, channels: int = 1) -> bytes:
    """Mono float samples -> an encoded file (the same signal in every channel)."""
    import av

    if container == "ogg":  # FFmpeg's own Vorbis encoder is stereo-only: libvorbis through sox
        import subprocess
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as scratch:
            wav, ogg = Path(scratch) / "in.wav", Path(scratch) / "out.ogg"
            wav.write_bytes(encode(samples, rate, "wav", channels))
            subprocess.run(["sox", str(wav), str(ogg)], check=True, capture_output=True)
            return ogg.read_bytes()

    buffer = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(CODECS[container], rate=rate, layout=layout)
        fmt = stream.codec_context.codec.audio_formats[0].name if stream.codec_context.codec.audio_formats else "s16"
        frame_size = stream.codec_context.frame_size or 1024
        planar = np.tile(samples[None], (channels, 1))
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        for start in range(0, samples.shape[0], frame_size):
            chunk = np.ascontiguousarray(planar[:, start : start + frame_size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = rate
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
