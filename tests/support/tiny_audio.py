"""Tiny audio data and a tiny audio model, trained and exported through the real code path in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from services.common.labels import EMOTIONS


def synthetic_catalog(root: Path, songs: int = 24, frames: int = 300, seed: int = 0) -> dict:
    """Kakao-layout mels whose loudness and brightness follow a label, a teacher file and labels."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    meta, teacher, lines = [], {}, ["song_id\temotion"]
    for song_id in range(1, songs + 1):
        label = song_id % len(EMOTIONS)
        bands = np.linspace(0, 1, 48)[:, None]
        mel = -60 + 8 * label - 30 * bands * (label % 3) + rng.normal(0, 4, (48, frames))
        path = root / "mels" / str(song_id // 1000) / f"{song_id}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, mel.astype(np.float16))
        meta.append({"id": song_id, "song_name": f"song {song_id}"})
        vec = np.full(len(EMOTIONS), 0.04)
        vec[label] = 0.8
        teacher[str(song_id)] = (vec / vec.sum()).tolist()
        lines.append(f"{song_id}\t{EMOTIONS[label]}")
    (root / "song_meta.json").write_text(json.dumps(meta))
    (root / "teacher.json").write_text(json.dumps(teacher))
    (root / "labels.tsv").write_text("\n".join(lines) + "\n")
    return {"mels": root / "mels", "songs": root / "song_meta.json", "teacher": root / "teacher.json",
            "labels": root / "labels.tsv"}


def build_tiny_audio_artifact(root: Path, out: Path | None = None, int8: bool = True) -> Path:
    from training.audio.build import main

    data = synthetic_catalog(Path(root) / "data")
    out = Path(out or Path(root) / "audio-model")
    code = main(["--mels", str(data["mels"]), "--songs", str(data["songs"]), "--teacher", str(data["teacher"]),
                 "--labels", str(data["labels"]), "--out", str(out), "--epochs", "2", "--width", "4",
                 "--work", str(Path(root) / "work"), "--version", "tiny-audio-0", "--device", "cpu"]
                + (["--int8"] if int8 else []))
    assert code == 0
    return out
