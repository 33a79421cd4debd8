"""Kakao Arena playlist files (`train.json`, `val.json`, `test.json`), read as a stream.

Each file is one JSON array of objects with `id`, `plylst_title`, `tags`, `songs` (song ids),
`like_cnt` and `updt_date`. `train.json` is ~60 MB (115,071 playlists), so rows are decoded one at
a time from a buffered read (`iter_rows`) instead of `json.load`-ing the whole file.

Errors: a file that is not a JSON array, or whose JSON breaks, stops the read with
`PlaylistFileError` naming the file, the row and the character offset from 0 (nothing after a
syntax error can be trusted). A row that is valid JSON but not a playlist (a missing field, a song
id that is not an integer, ...) is skipped and counted; the report keeps the first `MAX_ERRORS` messages
(`file:row N: why`). Songs that are not in the catalog are the caller's to count
(`PlaylistMatrix.report`): they are not an error.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_ERRORS = 20
_CHUNK = 1 << 16
_WS = " \t\r\n"


class PlaylistFileError(ValueError):
    """The file cannot be read as a playlist file; the message names the file, the row and the offset."""


@dataclass(frozen=True)
class Playlist:
    id: int
    title: str
    tags: tuple[str, ...]
    songs: tuple[int, ...]  # in the file's order, duplicates removed
    like_cnt: int
    updt_date: str

    @property
    def text(self) -> str:
        """What the text model reads for the playlist's mood: the title, then the tags."""
        return " ".join([self.title.strip(), *(f"#{t.strip()}" for t in self.tags if t.strip())]).strip()


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


def parse_playlist(row) -> Playlist:
    """One decoded row as a Playlist; ValueError saying what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError(f"a playlist is an object, not {type(row).__name__}")
    missing = [k for k in ("id", "songs") if k not in row]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    title = row.get("plylst_title", "")
    if not isinstance(title, str):
        raise ValueError(f"plylst_title must be a string, not {title!r}")
    tags, songs = row.get("tags", []), row["songs"]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags must be a list of strings")
    if not isinstance(songs, list):
        raise ValueError("songs must be a list of song ids")
    ids = [_int(s, "a song id") for s in songs]
    date = row.get("updt_date", "")
    return Playlist(_int(row["id"], "id"), title, tuple(tags), tuple(dict.fromkeys(ids)),
                    _int(row.get("like_cnt", 0), "like_cnt"), date if isinstance(date, str) else "")


def iter_rows(path: Path) -> Iterator[tuple[int, object]]:
    """(row number from 1, decoded row) for each element of the file's top-level JSON array."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as fp:
        buf, pos, consumed, row = fp.read(_CHUNK), 0, 0, 0

        def fill() -> bool:  # more text at the end of the buffer; False at the end of the file
            nonlocal buf, pos, consumed
            more = fp.read(_CHUNK)
            if not more:
                return False
            consumed += pos
            buf, pos = buf[pos:] + more, 0
            return True

        def skip_ws() -> str:  # the next non-space character ("" at the end of the file)
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in _WS:
                    pos += 1
                if pos < len(buf) or not fill():
                    return buf[pos] if pos < len(buf) else ""

        def fail(why: str, at: int | None = None) -> PlaylistFileError:
            offset = consumed + (pos if at is None else at)
            return PlaylistFileError(f"{path}: row {row + 1} (offset {offset}): {why}")

        if skip_ws() != "[":
            raise PlaylistFileError(f"{path}: not a Kakao Arena playlist file (a JSON array of playlists)")
        pos += 1
        if skip_ws() == "]":
            return
        while True:
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    # A number at the very end of the buffer may continue in the next chunk.
                    if end == len(buf) and fill():
                        continue
                    break
                except json.JSONDecodeError as exc:
                    if fill():
                        continue
                    raise fail(f"broken JSON: {exc.msg}", exc.pos) from None
            pos = end
            row += 1
            yield row, value
            nxt = skip_ws()
            if nxt == ",":
                pos += 1
                skip_ws()
            elif nxt == "]":
                return
            else:
                raise fail("expected ',' or ']' after a playlist" if nxt else "the file ends inside the array")


@dataclass
class ReadReport:
    files: list[str] = field(default_factory=list)
    rows: int = 0
    playlists: int = 0
    malformed: int = 0
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS, as "file:row N: why"
    duplicate_ids: int = 0  # rows whose playlist id was read before (the later row is skipped)
    song_entries: int = 0
    distinct_songs: int = 0
    entries_not_in_catalog: int = 0
    songs_not_in_catalog: int = 0

    def line(self) -> str:
        return (f"{self.playlists} playlists from {self.rows} rows of {', '.join(self.files)} · "
                f"{self.malformed} malformed · {self.duplicate_ids} duplicate ids · {self.distinct_songs} songs "
                f"({self.songs_not_in_catalog} not in the catalog, {self.entries_not_in_catalog} of "
                f"{self.song_entries} entries)")


def read_playlists(paths: Iterable[Path], report: ReadReport | None = None) -> Iterator[Playlist]:
    """Every well-formed playlist of the files, in order; malformed rows are counted in `report`."""
    report = report if report is not None else ReadReport()
    seen: set[int] = set()
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise PlaylistFileError(f"{path}: no such file")
        report.files.append(str(path))
        for row, value in iter_rows(path):
            report.rows += 1
            try:
                playlist = parse_playlist(value)
            except ValueError as exc:
                report.malformed += 1
                if len(report.errors) < MAX_ERRORS:
                    report.errors.append(f"{path}:row {row}: {exc}")
                continue
            if playlist.id in seen:
                report.duplicate_ids += 1
                continue
            seen.add(playlist.id)
            report.playlists += 1
            yield playlist


@dataclass
class PlaylistMatrix:
    """Playlists as a sparse playlist x song matrix in CSR parts (what factorisation and curated mood read).

    Compact at Arena scale: 5.3 M song entries are one int64 array, not 5.3 M Python ints."""

    playlist_ids: np.ndarray  # (P,) int64
    like_cnt: np.ndarray  # (P,) int64
    texts: list[str]  # (P,) title + tags
    indptr: np.ndarray  # (P + 1,) int64
    song_ids: np.ndarray  # (entries,) int64, the catalog's song ids
    report: ReadReport

    @classmethod
    def read(cls, paths: Iterable[Path], in_catalog=None) -> "PlaylistMatrix":
        """`in_catalog(ids) -> bool mask` marks the songs the catalog holds; None: all count as held."""
        report = ReadReport()
        ids, likes, texts = array("q"), array("q"), []
        indptr, songs = array("q", [0]), array("q")
        for p in read_playlists(paths, report):
            ids.append(p.id)
            likes.append(p.like_cnt)
            texts.append(p.text)
            songs.extend(p.songs)
            indptr.append(len(songs))
        matrix = cls(np.frombuffer(ids, np.int64).copy(), np.frombuffer(likes, np.int64).copy(), texts,
                     np.frombuffer(indptr, np.int64).copy(), np.frombuffer(songs, np.int64).copy(), report)
        distinct = np.unique(matrix.song_ids)
        report.song_entries, report.distinct_songs = len(matrix.song_ids), len(distinct)
        if in_catalog is not None and len(distinct):
            missing = distinct[~np.asarray(in_catalog(distinct), dtype=bool)]
            report.songs_not_in_catalog = len(missing)
            report.entries_not_in_catalog = int(np.isin(matrix.song_ids, missing).sum())
        return matrix

    def __len__(self) -> int:
        return len(self.playlist_ids)

    def songs_of(self, row: int) -> np.ndarray:
        return self.song_ids[self.indptr[row]:self.indptr[row + 1]]

    def subset(self, rows: np.ndarray) -> "PlaylistMatrix":
        """The playlists at these row numbers (same report)."""
        rows = np.asarray(rows, dtype=np.int64)
        parts = [self.songs_of(r) for r in rows]
        indptr = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
        return PlaylistMatrix(self.playlist_ids[rows], self.like_cnt[rows], [self.texts[r] for r in rows], indptr,
                              np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64),
                              self.report)
