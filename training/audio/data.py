"""Songs with mels (Kakao Arena layout or a folder of audio files), their teacher vectors, splits.

Kakao Arena: `DIR/{id // 1000}/{id}.npy`, float16 (48, 1876) dB, ids from song_meta.json. Files
that are missing, of another band count or shorter than the training crop are skipped and
counted (the dataset has a few corrupted id ranges). Mels are memory-mapped and read a crop at a
time, so the 240 GB dataset streams from disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from services.common.audio import audio_to_mel
from services.common.audio.mel import N_BANDS
from services.common.labels import NUM_EMOTIONS
from training.splits import split_of

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")


@dataclass
class Song:
    song_id: int
    path: Path
    teacher: np.ndarray | None = None  # six probabilities from the lyrics, canonical order
    label: int | None = None  # an evaluation label (the demo's intended emotion), never trained on


@dataclass
class Catalog:
    songs: list[Song]
    skipped: dict[str, int] = field(default_factory=dict)

    def split(self) -> dict[str, list[Song]]:
        """Stable by song id (the same hash the text corpora use): never moves as the catalog grows."""
        parts: dict[str, list[Song]] = {"train": [], "dev": [], "test": []}
        for song in self.songs:
            parts[song_split(song.song_id)].append(song)
        return parts


def song_split(song_id: int) -> str:
    return split_of(f"song{song_id}")


def song_ids(song_meta: Path) -> list[int]:
    return [int(entry["id"]) for entry in json.loads(Path(song_meta).read_text(encoding="utf-8"))]


def read_teacher(path: Path) -> dict[int, np.ndarray]:
    """{song id: six probabilities} from a JSON file ({"123": [..6..]})."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {int(k): np.asarray(v, dtype=np.float32) for k, v in raw.items() if len(v) == NUM_EMOTIONS}


def kakao_catalog(mels: Path, song_meta: Path, teacher: dict[int, np.ndarray] | None = None,
                  labels: dict[int, int] | None = None, min_frames: int = 0) -> Catalog:
    songs, skipped = [], {"missing": 0, "bad_shape": 0, "too_short": 0}
    for song_id in song_ids(song_meta):
        path = Path(mels) / str(song_id // 1000) / f"{song_id}.npy"
        if not path.is_file():
            skipped["missing"] += 1
            continue
        try:
            shape = np.load(path, mmap_mode="r").shape
        except (ValueError, OSError):
            skipped["bad_shape"] += 1
            continue
        if len(shape) != 2 or shape[0] != N_BANDS:
            skipped["bad_shape"] += 1
            continue
        if shape[1] < min_frames:
            skipped["too_short"] += 1
            continue
        songs.append(Song(song_id, path, (teacher or {}).get(song_id), (labels or {}).get(song_id)))
    return Catalog(songs, {k: v for k, v in skipped.items() if v})


def audio_folder_mels(folder: Path, cache: Path) -> tuple[Path, Path]:
    """A folder of audio files -> (mel dir in Kakao layout, song_meta.json) under `cache`.

    Songs are numbered in sorted path order; numeric file stems are kept as ids.
    """
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    cache = Path(cache)
    meta, used = [], set()
    for number, path in enumerate(files):
        song_id = int(path.stem) if path.stem.isdigit() and int(path.stem) not in used else 10_000_000 + number
        used.add(song_id)
        target = cache / "mels" / str(song_id // 1000) / f"{song_id}.npy"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            np.save(target, audio_to_mel(path.read_bytes(), path.suffix).astype(np.float16))
        meta.append({"id": song_id, "song_name": path.stem, "path": str(path)})
    (cache / "song_meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return cache / "mels", cache / "song_meta.json"


def load_mel(path: Path) -> np.ndarray:
    return np.asarray(np.load(path, mmap_mode="r"), dtype=np.float32)


class CropPairs(torch.utils.data.Dataset):
    """Two random crops of one song (the contrastive views), its teacher vector and whether it has one.

    Light augmentation on each view: a gain of a few dB and a masked band range (SpecAugment-style).
    """

    def __init__(self, songs: list[Song], frames: int, seed: int, gain_db: float = 3.0, mask_bands: int = 6):
        self.songs, self.frames, self.seed = songs, frames, seed
        self.gain_db, self.mask_bands = gain_db, mask_bands
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.songs)

    def _view(self, mel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        total = mel.shape[1]
        start = int(rng.integers(0, max(1, total - self.frames + 1)))
        view = np.array(mel[:, start : start + self.frames], dtype=np.float32)
        if view.shape[1] < self.frames:  # a short song: repeat it to the crop length
            view = np.tile(view, (1, int(np.ceil(self.frames / view.shape[1]))))[:, : self.frames]
        view += rng.uniform(-self.gain_db, self.gain_db)
        width = int(rng.integers(0, self.mask_bands + 1))
        low = int(rng.integers(0, N_BANDS - width + 1))
        view[low : low + width] = view.min()
        return view

    def __getitem__(self, index: int):
        song = self.songs[index]
        rng = np.random.default_rng([self.seed, self.epoch, song.song_id])
        mel = np.load(song.path, mmap_mode="r")
        has_teacher = song.teacher is not None
        teacher = song.teacher if has_teacher else np.full(NUM_EMOTIONS, 1.0 / NUM_EMOTIONS, dtype=np.float32)
        return (torch.from_numpy(self._view(mel, rng)), torch.from_numpy(self._view(mel, rng)),
                torch.from_numpy(np.asarray(teacher, dtype=np.float32)), torch.tensor(has_teacher))
