"""Where ingest finds a song's sound: Kakao Arena mels, a folder of audio files, or the demo's clips.

    --mels DIR    DIR/{id // 1000}/{id}.npy, (48, T) dB frames (Kakao Arena's layout; the demo's cache too)
    --audio DIR   DIR/{id}.{wav,flac,mp3,ogg,...}, through the same front end as ClassifyAudio

Ingest turns every song's sound into a validated mel here, before the classifier sees it, so a bad
file costs that song's sound (counted by reason) and never the batch. `has()` is a cheap existence
check the spider uses to decide whether a song without lyrics is worth crawling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.common.audio import AudioError, MelError, audio_to_mel, validate_mel

# Failure reasons, as the report counts them.
MISSING, UNREADABLE, BAD_SHAPE, TOO_SHORT, NOT_FINITE, UNDECODABLE = (
    "missing file", "unreadable file", "bad shape", "too short", "not finite", "undecodable audio")


class SoundFailure(ValueError):
    """This song's sound cannot be used; `reason` is one of the counted reasons above."""

    def __init__(self, song_id: int, reason: str, detail: str = ""):
        super().__init__(f"song {song_id}: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


def _reason(exc: MelError) -> str:
    text = str(exc)
    if isinstance(exc, AudioError):
        return TOO_SHORT if "long; at least" in text else UNDECODABLE
    if "shape" in text or "dtype" in text:
        return BAD_SHAPE
    if "at least" in text:
        return TOO_SHORT
    if "NaN" in text:
        return NOT_FINITE
    return BAD_SHAPE  # over the frame limit: not the dataset's shape either


@dataclass
class SoundSource:
    """One root of sound files; `preview` says the gateway may play them (the demo's own clips only)."""

    root: Path
    preview: bool = False

    def __post_init__(self) -> None:  # subclasses index their root here
        pass

    def has(self, song_id: int) -> bool:
        raise NotImplementedError

    def mel(self, song_id: int) -> np.ndarray:
        """The song's validated (48, T) dB mel; SoundFailure with its reason otherwise."""
        raise NotImplementedError


def mel_file(root: Path, song_id: int) -> Path:
    """Kakao Arena's layout: {id // 1000}/{id}.npy."""
    return Path(root) / str(song_id // 1000) / f"{song_id}.npy"


class MelDirectory(SoundSource):
    def has(self, song_id: int) -> bool:
        return mel_file(self.root, song_id).is_file()

    def mel(self, song_id: int) -> np.ndarray:
        path = mel_file(self.root, song_id)
        if not path.is_file():
            raise SoundFailure(song_id, MISSING, str(path))
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise SoundFailure(song_id, UNREADABLE, str(exc)) from exc
        try:
            return validate_mel(array)
        except MelError as exc:
            raise SoundFailure(song_id, _reason(exc), str(exc)) from exc


class AudioDirectory(SoundSource):
    """Files named by song id, any extension the front end decodes; listed once (700,000 names fit)."""

    def __post_init__(self):
        self._files: dict[int, Path] = {}
        with os.scandir(self.root) as entries:
            for entry in entries:
                stem = entry.name.split(".", 1)[0]
                if stem.isdigit() and entry.is_file():
                    self._files.setdefault(int(stem), Path(entry.path))

    def has(self, song_id: int) -> bool:
        return song_id in self._files

    def mel(self, song_id: int) -> np.ndarray:
        path = self._files.get(song_id)
        if path is None:
            raise SoundFailure(song_id, MISSING, f"{self.root}/{song_id}.*")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SoundFailure(song_id, UNREADABLE, str(exc)) from exc
        try:
            return audio_to_mel(data, path.suffix.lstrip("."))
        except MelError as exc:
            raise SoundFailure(song_id, _reason(exc), str(exc)) from exc


def open_source(mels: Path | None = None, audio: Path | None = None, preview: bool = False) -> SoundSource | None:
    if mels is not None and audio is not None:
        raise ValueError("give --mels or --audio, not both")
    if mels is not None:
        if not Path(mels).is_dir():
            raise FileNotFoundError(f"--mels {mels}: no such directory")
        return MelDirectory(Path(mels), preview)
    if audio is not None:
        if not Path(audio).is_dir():
            raise FileNotFoundError(f"--audio {audio}: no such directory")
        return AudioDirectory(Path(audio), preview)
    return None
