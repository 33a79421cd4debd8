"""The item that flows through the pipelines: one song, from page to Qdrant point."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.common.catalog import Genre


@dataclass
class SongItem:
    song_id: int
    melon_song_id: int
    title: str
    artists: list[str]
    album: str
    genres: list[Genre]
    issue_year: int | None
    source_url: str
    lyric_lines: list[str]  # raw from the page; cleaned by CleanPipeline
    # Set by LabelPipeline:
    probabilities: list[float] = field(default_factory=list)
    label: str = ""
    highlight: str = ""
    model_version: str = ""
