"""What to crawl: the Kakao Arena song list, or plain Melon song ids, and what to skip.

Kakao Arena's `song_meta.json` `id` is the catalog's own song id (the Qdrant point
id), not Melon's songId: the spider finds the Melon song through its album
(`album_id`). A plain list of Melon song ids uses those ids as catalog ids.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from services.common.catalog import Genre


@dataclass(frozen=True)
class SongEntry:
    song_id: int  # catalog id = Qdrant point id
    title: str = ""
    artists: tuple[str, ...] = ()
    album: str = ""
    album_id: int | None = None  # Kakao entries: crawl through the album page
    melon_song_id: int | None = None  # plain id entries: straight to the song page
    genres: tuple[Genre, ...] = ()
    issue_date: str = ""


class SongListError(ValueError):
    """The song list file is not in a format we read; the message says where."""


def _read_json(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SongListError(f"{path}: cannot read the {what}: {exc}") from exc


def load_genres(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    genres = _read_json(path, "genre map")
    if not isinstance(genres, dict):
        raise SongListError(f"{path}: expected an object of genre code -> name")
    return {str(k): str(v) for k, v in genres.items()}


def load_song_meta(path: Path, genres: dict[str, str]) -> list[SongEntry]:
    """Kakao Arena song_meta.json: a list of songs (id, album_id, artist_name_basket, song_name, ...)."""
    raw = _read_json(path, "song list")
    if not isinstance(raw, list):
        raise SongListError(f"{path}: expected a JSON list of songs")
    entries = []
    for position, song in enumerate(raw):
        try:
            codes = list(song.get("song_gn_gnr_basket") or []) + list(song.get("song_gn_dtl_gnr_basket") or [])
            entries.append(SongEntry(
                song_id=int(song["id"]),
                title=str(song["song_name"]),
                artists=tuple(song.get("artist_name_basket") or ()),
                album=str(song.get("album_name") or ""),
                album_id=int(song["album_id"]),
                genres=tuple(Genre(code, genres.get(code, "")) for code in codes),
                issue_date=str(song.get("issue_date") or ""),
            ))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SongListError(f"{path}: song #{position} lacks a valid id, album_id or song_name ({exc})") from exc
    return entries


def load_song_ids(path: Path) -> list[SongEntry]:
    """One Melon song id per line (blank lines and # comments ignored)."""
    entries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.isdigit():
            raise SongListError(f"{path}:{number}: {line!r} is not a Melon song id")
        entries.append(SongEntry(song_id=int(line), melon_song_id=int(line)))
    return entries


def load_song_list(path: Path, genres_path: Path | None = None) -> list[SongEntry]:
    """song_meta.json-style JSON, or a text file of Melon song ids."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return load_song_meta(path, load_genres(genres_path))
    return load_song_ids(path)


@dataclass
class SkipRules:
    """Songs whose lyrics are not worth reading: instrumental genres and titles."""

    genres: set[str] = field(default_factory=set)
    title_patterns: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._titles = [re.compile(p, re.IGNORECASE) for p in self.title_patterns]

    def reason(self, entry: SongEntry) -> str | None:
        if any(g.code in self.genres for g in entry.genres):
            return "instrumental genre"
        if any(p.search(entry.title) for p in self._titles):
            return "instrumental or spoken title"
        return None


def parse_shard(spec: str) -> tuple[int, int]:
    """`I/N` (0 <= I < N), as `--shard` and a Kubernetes Indexed Job's completion index give it."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard {spec!r}: expected I/N, e.g. 0/4") from None
    if not 0 <= index < count:
        raise ValueError(f"--shard {spec!r}: I must be within 0..N-1")
    return index, count


def shard_of(entries: list[SongEntry], shard: tuple[int, int] | None) -> list[SongEntry]:
    """The songs of one shard, by song id modulo N: shards never overlap and together cover the list."""
    if shard is None:
        return entries
    index, count = shard
    return [e for e in entries if e.song_id % count == index]
