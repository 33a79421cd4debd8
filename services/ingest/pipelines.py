"""The pipelines, in order: clean -> label -> store (ITEM_PIPELINES in settings.py).

Label and store work in batches: each item waits (asynchronously) for its batch,
which runs on a worker thread when it is full or has waited `batch_delay_s`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
import unicodedata

from scrapy.exceptions import DropItem

from services.classifier.client import Classifier
from services.classifier.core import TextKind
from services.common.batching import DynamicBatcher
from services.common.catalog import CatalogUnavailable, Song
from services.ingest.items import SongItem
from services.ingest.ledger import FAILED, SKIPPED, STORED

log = logging.getLogger(__name__)

# Credit lines that some pages put above the lyrics: 작사/작곡/편곡 and English equivalents.
CREDIT = re.compile(
    r"^\s*(작사|작곡|편곡|작사\s*/\s*작곡|lyrics?\s*by|music\s*by|composed\s*by|written\s*by|arranged\s*by)\s*[:：-]",
    re.IGNORECASE,
)


def clean_lines(raw_lines: list[str]) -> list[str]:
    """Entities decoded, Unicode NFC, whitespace folded; credit lines and empty lines dropped."""
    lines = []
    for raw in raw_lines:
        line = " ".join(unicodedata.normalize("NFC", html.unescape(raw)).split())
        if line and not CREDIT.match(line):
            lines.append(line)
    return lines


class CleanPipeline:
    def __init__(self, ledger):
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.spider.ledger)

    def process_item(self, item: SongItem) -> SongItem:
        item.lyric_lines = clean_lines(item.lyric_lines)
        if not item.lyric_lines:
            self.ledger.record([item.song_id], SKIPPED, "no lyrics")
            raise DropItem(f"song {item.song_id}: nothing left of its lyrics after cleaning")
        return item


class _BatchingPipeline:
    """Holds a DynamicBatcher over `run_batch`, started on the crawl's event loop."""

    def __init__(self, crawler, batch_size: int, batch_delay_s: float):
        self.crawler = crawler
        self.ledger = crawler.spider.ledger
        self.batcher = DynamicBatcher(self.run_batch, batch_size, batch_delay_s, name=type(self).__name__)

    def run_batch(self, items: list[SongItem]) -> list[SongItem]:
        raise NotImplementedError

    async def process_item(self, item: SongItem) -> SongItem:
        self.batcher.start()
        (result,) = await self.batcher.run([item])
        return result

    async def close_spider(self) -> None:
        await self.batcher.stop()


class LabelPipeline(_BatchingPipeline):
    """The classifier reads every line of every song (LYRICS kind); retries with backoff, then fails loudly."""

    def __init__(self, crawler, classifier: Classifier, batch_size: int, batch_delay_s: float, attempts: int):
        super().__init__(crawler, batch_size, batch_delay_s)
        self.classifier = classifier
        self.attempts = attempts

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler, crawler.spider.classifier, s.getint("MOODTUNE_BATCH_SIZE"),
                   s.getfloat("MOODTUNE_BATCH_DELAY"), s.getint("MOODTUNE_CLASSIFIER_ATTEMPTS"))

    def run_batch(self, items: list[SongItem]) -> list[SongItem | None]:
        texts = ["\n".join(item.lyric_lines) for item in items]
        for attempt in range(1, self.attempts + 1):
            try:
                results = self.classifier.classify(texts, TextKind.LYRICS)
                break
            except Exception as exc:  # UNAVAILABLE, deadline, a broken model: all retried the same way
                if attempt == self.attempts:
                    log.error("classifier failed %d times; %d songs fail: %s", attempt, len(items), exc)
                    self.ledger.record([i.song_id for i in items], FAILED, "classifier unavailable")
                    return [None] * len(items)
                delay = min(30.0, 0.5 * 2 ** (attempt - 1))
                log.warning("classifier call failed (attempt %d/%d), retrying in %.1fs: %s",
                            attempt, self.attempts, delay, exc)
                time.sleep(delay)
        for item, result in zip(items, results):
            item.probabilities = list(result.probabilities)
            item.label = result.label
            item.highlight = result.highlight
            item.model_version = self.classifier.model_version
        self.ledger.labelled += len(items)
        return items

    async def process_item(self, item: SongItem) -> SongItem:
        result = await super().process_item(item)
        if result is None:
            raise DropItem(f"song {item.song_id}: classifier unavailable")
        return result


class StorePipeline(_BatchingPipeline):
    """Batch upserts into Qdrant. Qdrant down: the batch fails whole and the crawl stops."""

    def __init__(self, crawler, store, batch_size: int, batch_delay_s: float):
        super().__init__(crawler, batch_size, batch_delay_s)
        self.store = store
        self.stopping = False  # set on the worker thread when an upsert failed
        self.close_requested = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler, crawler.spider.store, s.getint("MOODTUNE_BATCH_SIZE"), s.getfloat("MOODTUNE_BATCH_DELAY"))

    def run_batch(self, items: list[SongItem]) -> list[SongItem | None]:
        songs = [
            Song(song_id=i.song_id, melon_song_id=i.melon_song_id, title=i.title, artists=i.artists, album=i.album,
                 genres=i.genres, issue_year=i.issue_year, probabilities=i.probabilities, label=i.label,
                 highlight=i.highlight, source_url=i.source_url, model_version=i.model_version)
            for i in items
        ]
        try:
            if self.stopping:
                raise CatalogUnavailable("the crawl is stopping after an earlier Qdrant failure")
            self.store.upsert(songs)
        except CatalogUnavailable as exc:
            log.error("Qdrant unavailable: %d songs not written, stopping the crawl: %s", len(items), exc)
            self.ledger.record([i.song_id for i in items], FAILED, "qdrant unavailable")
            self.stopping = True
            return [None] * len(items)
        self.ledger.record([i.song_id for i in items], STORED)
        return items

    async def process_item(self, item: SongItem) -> SongItem:
        result = await super().process_item(item)
        if result is None:
            if not self.close_requested:  # stop fetching; what is in flight fails the same way
                self.close_requested = True
                asyncio.get_running_loop().create_task(
                    self.crawler.engine.close_spider_async(reason="qdrant unavailable"))
            raise DropItem(f"song {item.song_id}: Qdrant unavailable")
        return result
