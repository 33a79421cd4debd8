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

from services.classifier.audio_core import AudioInput
from services.classifier.client import Classifier
from services.classifier.core import TextKind
from services.common.batching import DynamicBatcher
from services.common.catalog import CatalogUnavailable, Song
from services.common.catalog.schema import AUDIO_EMOTION_VECTOR, AUDIO_VECTOR, LYRICS_VECTOR, SIGNAL_LYRICS, SIGNAL_SOUND
from services.common.fusion import fuse, top_label
from services.ingest.items import SongItem
from services.ingest.ledger import FAILED, SKIPPED, STORED
from services.ingest.sound import MISSING, SoundFailure

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
        if not item.lyric_lines and not item.has_sound:
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

    def _call(self, call, items: list[SongItem]):
        """`call()` tried `attempts` times with backoff; None (the items recorded as failed) after the last."""
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except Exception as exc:  # UNAVAILABLE, deadline, a broken model: all retried the same way
                if attempt == self.attempts:
                    log.error("classifier failed %d times; %d songs fail: %s", attempt, len(items), exc)
                    self.ledger.record([i.song_id for i in items], FAILED, "classifier unavailable")
                    return None
                delay = min(30.0, 0.5 * 2 ** (attempt - 1))
                log.warning("classifier call failed (attempt %d/%d), retrying in %.1fs: %s",
                            attempt, self.attempts, delay, exc)
                time.sleep(delay)

    def run_batch(self, items: list[SongItem]) -> list[SongItem | None]:
        with_lyrics = [item for item in items if item.lyric_lines]  # songs on their sound alone skip this
        if not with_lyrics:
            return items
        texts = ["\n".join(item.lyric_lines) for item in with_lyrics]
        results = self._call(lambda: self.classifier.classify(texts, TextKind.LYRICS), with_lyrics)
        if results is None:
            return [None if item.lyric_lines else item for item in items]
        for item, result in zip(with_lyrics, results):
            item.probabilities = list(result.probabilities)
            item.label = result.label
            item.highlight = result.highlight
            item.model_version = self.classifier.model_version
        self.ledger.labelled += len(with_lyrics)
        return items

    async def process_item(self, item: SongItem) -> SongItem:
        result = await super().process_item(item)
        if result is None:
            raise DropItem(f"song {item.song_id}: classifier unavailable")
        return result


class SoundPipeline(LabelPipeline):
    """Each song's sound as a validated mel (a bad file costs that song's sound, counted by reason),
    then one ClassifyAudio call per batch: six probabilities and the 512-d embedding."""

    def run_batch(self, items: list[SongItem]) -> list[SongItem | None]:
        source = self.crawler.spider.sound
        heard: list[tuple[SongItem, AudioInput]] = []
        out: list[SongItem | None] = list(items)
        for index, item in enumerate(items):
            if source is None:
                continue
            if not item.has_sound:  # sound was asked for, and this song has no file
                self.ledger.sound_failed(MISSING)
                continue
            try:
                heard.append((item, AudioInput(mel=source.mel(item.song_id))))
            except SoundFailure as exc:
                log.warning("no sound for %s", exc)
                self.ledger.sound_failed(exc.reason)
                if not item.lyric_lines:  # nothing else to store it by
                    self.ledger.record([item.song_id], FAILED, f"sound: {exc.reason}")
                    out[index] = None
        if not heard:
            return out
        songs = [item for item, _ in heard]
        classify = lambda: [r for chunk in _by_size([m for _, m in heard])  # noqa: E731
                            for r in self.classifier.classify_audio(chunk)]
        try:
            results = classify()
        except Exception as exc:
            if _no_audio_model(exc):  # the classifier serves text only: the crawl goes on without sound
                log.warning("the classifier has no audio model; %d songs lose their sound", len(songs))
                for item in songs:
                    self.ledger.sound_failed(NO_AUDIO_MODEL)
                    if not item.lyric_lines:
                        self.ledger.record([item.song_id], FAILED, f"sound: {NO_AUDIO_MODEL}")
                return [None if item in songs and not item.lyric_lines else item for item in out]
            results = self._call(classify, songs)  # transient: retried with backoff like lyrics
        if results is None:
            return [None if item in songs else item for item in out]
        version = self.classifier.audio_model_version
        for item, result in zip(songs, results):
            item.audio_probabilities = list(result.probabilities)
            item.audio_embedding = list(result.embedding)
            item.audio_model_version = version
        return out

    async def process_item(self, item: SongItem) -> SongItem:
        result = await _BatchingPipeline.process_item(self, item)
        if result is None:
            raise DropItem(f"song {item.song_id}: no usable lyrics or sound")
        return result


NO_AUDIO_MODEL = "no audio model"


def _no_audio_model(exc: Exception) -> bool:
    """In-process: RuntimeError; over gRPC: FAILED_PRECONDITION (MOODTUNE_AUDIO_MODEL_DIR empty)."""
    import grpc

    if isinstance(exc, grpc.Call):
        return exc.code() == grpc.StatusCode.FAILED_PRECONDITION
    return isinstance(exc, RuntimeError) and "no audio model" in str(exc)


AUDIO_CALL_BYTES = 3 * 1024 * 1024  # mels per ClassifyAudio call: under gRPC's default 4 MiB message


def _by_size(mels: list[AudioInput]) -> list[list[AudioInput]]:
    """Consecutive chunks of float32 mels (30 s = 360 KB each) that fit one message."""
    chunks, size = [[]], 0
    for mel in mels:
        nbytes = mel.mel.size * 4 + 64
        if chunks[-1] and size + nbytes > AUDIO_CALL_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(mel)
        size += nbytes
    return chunks


def song_of(item: SongItem, audio_weight: float, preview: bool = False) -> Song:
    """The catalog point of a labelled item: the fused `emotion`, each signal's own vectors, `signals`."""
    lyrics = item.probabilities or None
    sound = item.audio_probabilities or None
    emotion = fuse(lyrics, sound, audio_weight)
    signals, vectors = {}, {}
    if lyrics:
        signals[SIGNAL_LYRICS] = top_label(lyrics)
        vectors[LYRICS_VECTOR] = lyrics
    if sound:
        signals[SIGNAL_SOUND] = top_label(sound)
        vectors[AUDIO_EMOTION_VECTOR] = sound
        vectors[AUDIO_VECTOR] = item.audio_embedding
    return Song(song_id=item.song_id, melon_song_id=item.melon_song_id, title=item.title, artists=item.artists,
                album=item.album, genres=item.genres, issue_year=item.issue_year, probabilities=emotion,
                label=top_label(emotion), highlight=item.highlight, source_url=item.source_url,
                model_version=item.model_version, signals=signals, audio_model_version=item.audio_model_version,
                preview=bool(sound) and preview, extra_vectors=vectors)


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
        weight = self.crawler.settings.getfloat("MOODTUNE_FUSION_AUDIO_WEIGHT")
        source = self.crawler.spider.sound
        songs = [song_of(i, weight, preview=bool(source and source.preview)) for i in items]
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
        self.ledger.count_signals([song.signals for song in songs])
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
