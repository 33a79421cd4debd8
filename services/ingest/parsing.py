"""Turning Melon pages into data. Pure functions over HTML text, tested on their own."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from parsel import Selector
from w3lib.html import remove_comments, remove_tags, remove_tags_with_content

from services.ingest import selectors as css

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_YEAR = re.compile(r"(19|20)\d{2}")


class MalformedPage(ValueError):
    """The page lacks what every song page has (title, or both lyrics and the no-lyrics marker)."""


@dataclass(frozen=True)
class SongPage:
    title: str
    artists: list[str]
    album: str
    released: str
    genre_names: list[str]
    lyric_lines: list[str] | None  # None: the page says the song has no lyrics


def _text(value: str) -> str:
    return " ".join(value.split())


def parse_song_page(html: str) -> SongPage:
    page = Selector(text=html)
    title = _text(" ".join(page.css(css.TITLE_TEXTS).getall()))
    if not title:
        raise MalformedPage("no song title (div.song_name)")
    terms = [_text(" ".join(dt.css("::text").getall())) for dt in page.css(css.META_TERMS)]
    values = [_text(" ".join(dd.css("::text").getall())) for dd in page.css(css.META_VALUES)]
    meta = dict(zip(terms, values))

    lyrics = page.css(css.LYRICS)
    if lyrics:
        lines = lyric_lines(lyrics[0].get())
    elif page.css(css.NO_LYRICS):
        lines = None
    else:
        raise MalformedPage("neither lyrics (div#d_video_summary) nor div.lyric_none")
    return SongPage(
        title=title,
        artists=[_text(a) for a in page.css(css.ARTISTS).getall() if a.strip()],
        album=meta.get(css.META_ALBUM, ""),
        released=meta.get(css.META_RELEASED, ""),
        genre_names=[g.strip() for g in meta.get(css.META_GENRE, "").split(",") if g.strip()],
        lyric_lines=lines,
    )


def lyric_lines(lyrics_html: str) -> list[str]:
    """The raw lines of the lyrics element: split on <br>, markup and scripts removed.

    Entities stay escaped here; the clean pipeline decodes them, so what is stored
    is text, never markup.
    """
    body = remove_comments(lyrics_html)
    body = remove_tags_with_content(body, which_ones=("script", "style", "iframe", "noscript"))
    return [remove_tags(part).strip() for part in _BR.split(body)]


def parse_album_page(html: str) -> list[tuple[int, str]]:
    """(song id, title) for each song listed on an album page."""
    page = Selector(text=html)
    songs = []
    for row in page.css(css.ALBUM_SONG_ROWS):
        raw_id = row.attrib.get(css.ALBUM_SONG_ID_ATTR, "")
        if not raw_id.isdigit():
            match = css.PLAY_SONG.search(row.get())
            raw_id = match.group(1) if match else ""
        title = _text(" ".join(row.css(css.ALBUM_SONG_TITLE).getall()))
        if raw_id.isdigit() and title:
            songs.append((int(raw_id), title))
    return songs


def title_key(title: str) -> str:
    """Titles compared loosely: NFKC, case, spacing and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def find_on_album(title: str, album_songs: list[tuple[int, str]]) -> int | None:
    """The album song whose title matches; a bracketed suffix ("(Feat. X)") may differ."""
    wanted = title_key(title)
    bare = title_key(re.sub(r"[(\[].*?[)\]]", "", title))
    for song_id, candidate in album_songs:
        if title_key(candidate) == wanted:
            return song_id
    for song_id, candidate in album_songs:
        if bare and title_key(re.sub(r"[(\[].*?[)\]]", "", candidate)) == bare:
            return song_id
    return None


def release_year(released: str, issue_date: str = "") -> int | None:
    for value in (issue_date, released):
        match = _YEAR.search(value or "")
        if match and int(match.group(0)) > 1900:
            return int(match.group(0))
    return None
