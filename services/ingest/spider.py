"""The Melon spider: song list -> album pages -> song pages -> SongItems.

Every song of the list ends in exactly one outcome in the ledger: stored (by the
store pipeline), skipped (instrumental, no lyrics, done in an earlier run) or
failed (404, malformed page, not on its album, classifier or Qdrant down).
"""

from __future__ import annotations

from collections import defaultdict

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from services.common.catalog import Genre
from services.ingest import selectors as css
from services.ingest.items import SongItem
from services.ingest.ledger import FAILED, SKIPPED, Ledger
from services.ingest.parsing import MalformedPage, find_on_album, parse_album_page, parse_song_page, release_year
from services.ingest.songlist import SkipRules, SongEntry


class MelonSpider(scrapy.Spider):
    name = "melon"

    def __init__(self, songs: list[SongEntry], base_url: str, ledger: Ledger, skip: SkipRules,
                 classifier, store, sound=None, **kwargs):
        super().__init__(**kwargs)
        self.songs = songs
        self.base_url = base_url.rstrip("/")
        self.ledger = ledger
        self.skip = skip
        # The crawl's resources, used by the pipelines.
        self.classifier = classifier
        self.store = store
        self.sound = sound  # services.ingest.sound.SoundSource, or None: lyrics only

    def has_sound(self, song_id: int) -> bool:
        return self.sound is not None and self.sound.has(song_id)

    async def start(self):
        by_album: dict[int, list[SongEntry]] = defaultdict(list)
        self.ledger.seen = len(self.songs)
        for entry in self.songs:
            if self.ledger.done_before(entry.song_id):
                continue
            reason = self.skip.reason(entry)
            if reason and not self.has_sound(entry.song_id):
                self.ledger.record([entry.song_id], SKIPPED, reason)
            elif entry.melon_song_id is not None:
                yield self.song_request(entry, entry.melon_song_id)
            else:
                by_album[entry.album_id].append(entry)
        for album_id, entries in by_album.items():
            yield scrapy.Request(
                self.base_url + css.ALBUM_PATH.format(album_id=album_id),
                callback=self.parse_album, errback=self.failed,
                cb_kwargs={"entries": entries}, meta={"song_ids": [e.song_id for e in entries], "page": "album page"},
            )

    def song_request(self, entry: SongEntry, melon_song_id: int) -> scrapy.Request:
        return scrapy.Request(
            self.base_url + css.SONG_PATH.format(song_id=melon_song_id),
            callback=self.parse_song, errback=self.failed,
            cb_kwargs={"entry": entry, "melon_song_id": melon_song_id},
            meta={"song_ids": [entry.song_id], "page": "song page"},
        )

    def parse_album(self, response, entries: list[SongEntry]):
        listed = parse_album_page(response.text)
        for entry in entries:
            melon_song_id = find_on_album(entry.title, listed)
            if melon_song_id is None:
                self.ledger.record([entry.song_id], FAILED, "not on its album page")
            else:
                yield self.song_request(entry, melon_song_id)

    def parse_song(self, response, entry: SongEntry, melon_song_id: int):
        try:
            page = parse_song_page(response.text)
        except MalformedPage as exc:
            self.logger.warning("malformed song page %s: %s", response.url, exc)
            self.ledger.record([entry.song_id], FAILED, "malformed page")
            return
        has_sound = self.has_sound(entry.song_id)
        if page.lyric_lines is None and not has_sound:
            self.ledger.record([entry.song_id], SKIPPED, "no lyrics")
            return
        # A skip rule (instrumental genre or title) keeps the lyrics out; the sound still counts.
        ignored = self.skip.reason(entry) or ""
        genres = list(entry.genres) or [Genre("", name) for name in page.genre_names]
        yield SongItem(
            song_id=entry.song_id,
            melon_song_id=melon_song_id,
            title=entry.title or page.title,
            artists=list(entry.artists) or page.artists,
            album=entry.album or page.album,
            genres=genres,
            issue_year=release_year(page.released, entry.issue_date),
            source_url=response.url,
            lyric_lines=[] if ignored else (page.lyric_lines or []),
            lyrics_ignored=ignored,
            has_sound=has_sound,
        )

    def failed(self, failure):
        """Pages that never arrived: HTTP errors after retries, DNS, timeouts, robots.txt."""
        request = failure.request
        if failure.check(HttpError):
            reason = f"{request.meta['page']} HTTP {failure.value.response.status}"
        else:
            reason = f"{request.meta['page']} unreachable ({failure.type.__name__})"
        self.logger.warning("%s: %s", request.url, reason)
        self.ledger.record(request.meta["song_ids"], FAILED, reason)
