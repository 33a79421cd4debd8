"""Audio model throughput and quality, side by side on one machine.

    python -m bench.audio [--model DIR] [--songs N]

Speed (songs/s, whole 30 s clips = (48, 1876) mels):
1. mel -> emotion + embedding, fp32 and int8 ONNX Runtime, batch 1 and batch 16, CPU
   (and CUDA when onnxruntime-gpu sees a GPU);
2. the front end alone: an audio file -> mel (a 30 s 16 kHz FLAC clip, and a 60 s 44.1 kHz stereo
   MP3 whose seconds 20-50 are kept), with the time the whole dataset (707,989 songs) would take.
Quality on the demo's test split (the same function `make audio-model` writes into model.json):
macro-F1 against the intended emotions, cosine agreement with the lyrics vector, same-emotion
k-NN@5 of the frozen embedding; baselines: the majority class and a linear head on hand-made
features (tempo, spectral centroid, loudness) of the same mels.
Writes bench/results/audio.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

from bench.common import Measurement, measurement, print_table, save
from services.classifier.artifact import AUDIO_FP32_FILE, AUDIO_INPUT, AUDIO_OUTPUTS, AudioModelCard
from services.common.audio import audio_to_mel
from services.common.settings import DEFAULT_AUDIO_MODEL_DIR

DATASET_SONGS = 707_989


def graphs(model_dir: Path, scratch: Path) -> dict[str, Path]:
    """fp32 and int8 graphs of the artifact (the served one and its counterpart)."""
    card = AudioModelCard.read(model_dir)
    if card.quantization == "none":
        int8 = scratch / "int8.onnx"
        quantize_dynamic(str(model_dir / "model.onnx"), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        return {"fp32": model_dir / "model.onnx", "int8": int8}
    return {"fp32": model_dir / AUDIO_FP32_FILE, "int8": model_dir / "model.onnx"}


def model_rate(path: Path, mels: np.ndarray, batch: int, provider: str) -> Measurement:
    session = ort.InferenceSession(str(path), providers=[provider])
    session.run(list(AUDIO_OUTPUTS), {AUDIO_INPUT: mels[:batch]})  # warm-up
    latencies, started = [], time.perf_counter()
    for i in range(0, len(mels), batch):
        t = time.perf_counter()
        session.run(list(AUDIO_OUTPUTS), {AUDIO_INPUT: mels[i : i + batch]})
        latencies.append(time.perf_counter() - t)
    label = "CPU" if provider.startswith("CPU") else "CUDA"
    return measurement(f"{path.stem} mel -> emotion+embedding, batch {batch}, {label}", len(mels),
                       time.perf_counter() - started, latencies)


def front_end_rate(name: str, files: list[bytes], fmt: str) -> Measurement:
    audio_to_mel(files[0], fmt)
    latencies, started = [], time.perf_counter()
    for data in files:
        t = time.perf_counter()
        audio_to_mel(data, fmt)
        latencies.append(time.perf_counter() - t)
    return measurement(name, len(files), time.perf_counter() - started, latencies)


def demo_mels(n: int) -> tuple[np.ndarray, list[Path]]:
    from services.ingest.demo.sound.render import render_all

    root = render_all(progress=False)
    paths = sorted(root.rglob("*.npy"))[:n]
    return np.stack([np.load(p).astype(np.float32) for p in paths]), paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_AUDIO_MODEL_DIR)
    parser.add_argument("--songs", type=int, default=64)
    parser.add_argument("--no-quality", action="store_true", help="speed only")
    args = parser.parse_args(argv)
    mels, paths = demo_mels(args.songs)
    providers = ["CPUExecutionProvider"] + (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in ort.get_available_providers() else [])
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind, path in graphs(args.model, Path(scratch)).items():
            for provider in providers:
                for batch in (1, 16):
                    row = model_rate(path, mels, batch, provider)
                    row.name = f"{kind} " + row.name.split(" ", 1)[1]
                    rows.append(row)
    from services.ingest.demo.sound.render import DEFAULT_OUT, cache_dir
    from tests.support.audio_files import encode

    flacs = [(cache_dir(DEFAULT_OUT) / "audio" / f"{p.stem}.flac").read_bytes() for p in paths[:16]]
    rows.append(front_end_rate("front end: 30 s 16 kHz mono FLAC -> mel", flacs, "flac"))
    rng = np.random.default_rng(0)
    songs = [encode(np.tile(rng.normal(0, 0.1, 44100).astype(np.float32), 60), 44100, "mp3", channels=2)
             for _ in range(4)]
    rows.append(front_end_rate("front end: 60 s 44.1 kHz stereo MP3 -> mel", songs * 2, "mp3"))
    print_table(rows, unit="songs/s")
    print(f"\nthe whole dataset ({DATASET_SONGS:,} songs) at these rates:")
    for r in rows:
        print(f"  {r.name:60} {DATASET_SONGS / r.rate / 3600:8.2f} h")
    payload = {"songs": len(mels), "rows": rows,
               "dataset_hours": {r.name: round(DATASET_SONGS / r.rate / 3600, 3) for r in rows}}
    if not args.no_quality:
        payload["quality"] = quality(args.model)
    print(f"\nwrote {save('audio', payload)}")


def quality(model_dir: Path) -> dict:
    from services.classifier.audio_model import AudioEmotionModel
    from services.ingest.demo import INTENDED, SONG_META
    from services.ingest.demo.sound.render import render_all
    from training.audio.build import WORK, read_labels
    from training.audio.data import kakao_catalog, read_teacher
    from training.audio.evaluate import figures
    from training.audio.teacher import lyrics_vectors

    catalog = kakao_catalog(render_all(progress=False), SONG_META, read_teacher(lyrics_vectors(WORK)), read_labels(INTENDED))
    parts = catalog.split()
    result = figures(AudioEmotionModel(model_dir), parts["train"], parts["test"])
    print(f"\ndemo test split ({result['model']['examples']} songs): macro-F1, accuracy, lyrics cosine, kNN@5")
    for row, f in result.items():
        print(f"  {row:22} {f['macro_f1']:.3f}  {f['accuracy']:.3f}  {f.get('lyrics_cosine', float('nan')):.3f}  "
              f"{f.get('knn_same_emotion_at_5', float('nan')):.3f}")
    return result


if __name__ == "__main__":
    main()
