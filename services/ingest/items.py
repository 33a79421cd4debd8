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
    # Sound (issue 14). lyrics_ignored: the skip rule that keeps lyrics out (the song enters on its sound).
    lyrics_ignored: str = ""
    has_sound: bool = False  # the sound source holds a file for it (checked before crawling)
    # Set by SoundPipeline when the sound was usable:
    audio_probabilities: list[float] = field(default_factory=list)
    audio_embedding: list[float] = field(default_factory=list)
    audio_model_version: str = ""
