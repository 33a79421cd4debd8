"""Running a crawl: wire the spider, pipelines, classifier and Qdrant together, then report."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from services.classifier.client import connect as connect_classifier
from services.common import catalog, catalog_version
from services.common.catalog.schema import SOUND_VECTORS
from services.common.settings import ClassifierSettings, IngestSettings
from services.ingest.ledger import Ledger, format_report
from services.ingest.songlist import SkipRules, SongEntry
from services.ingest.sound import SoundSource
from services.ingest.spider import MelonSpider

log = logging.getLogger(__name__)


def scrapy_settings(s: IngestSettings) -> dict:
    return {
        "BOT_NAME": "moodtune-ingest",
        "USER_AGENT": s.ingest_user_agent,
        "ROBOTSTXT_OBEY": s.ingest_obey_robots,
        "CONCURRENT_REQUESTS": max(16, s.ingest_concurrency_per_domain),
        "CONCURRENT_REQUESTS_PER_DOMAIN": s.ingest_concurrency_per_domain,
        "DOWNLOAD_DELAY": s.ingest_download_delay_s,
        "AUTOTHROTTLE_ENABLED": s.ingest_autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(s.ingest_download_delay_s, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": max(1.0, s.ingest_concurrency_per_domain / 2),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": s.ingest_retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOAD_TIMEOUT": 30,
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024,  # a song page is ~100 kB; anything this big is not one
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "services.ingest.middlewares.BackoffRetryMiddleware": 550,
            "services.ingest.middlewares.BackoffDelayMiddleware": 590,
        },
        "ITEM_PIPELINES": {
            "services.ingest.pipelines.CleanPipeline": 100,
            "services.ingest.pipelines.LabelPipeline": 200,
            "services.ingest.pipelines.SoundPipeline": 250,
            "services.ingest.pipelines.StorePipeline": 300,
        },
        "EXTENSIONS": {"services.ingest.progress.Progress": 500},
        "MOODTUNE_BATCH_SIZE": s.ingest_batch_size,
        "MOODTUNE_BATCH_DELAY": s.ingest_batch_delay_s,
        "MOODTUNE_CLASSIFIER_ATTEMPTS": s.ingest_classifier_attempts,
        "MOODTUNE_BACKOFF_S": s.ingest_backoff_s,
        "MOODTUNE_FUSION_AUDIO_WEIGHT": s.fusion_audio_weight,
    }


@dataclass
class IngestResult:
    report: dict
    catalog_songs: int
    catalog_version: int | None
    seconds: float

    @property
    def ok(self) -> bool:
        failed = self.report["failed"]
        return not self.report["unaccounted"] and not failed.get("qdrant unavailable") \
            and not failed.get("classifier unavailable")


def run_ingest(settings: IngestSettings, songs: list[SongEntry], *, fresh: bool = False,
               scrapy_overrides: dict | None = None, sound: SoundSource | None = None) -> IngestResult:
    """Crawls the songs, labels and stores them; one crawl per process (Twisted's reactor runs once).

    `sound`: where the songs' sound is (mels or audio files); None = lyrics only."""
    started = time.time()
    store = catalog.connect(settings)
    if not fresh and store.count() == 0 and (Path(settings.ingest_job_dir) / "outcomes.jsonl").exists():
        # Progress recorded against a catalog that is gone (a new store, a deleted directory).
        log.warning("the job directory's progress belongs to a catalog that is empty now: starting over")
        fresh = True
    if fresh and Path(settings.ingest_job_dir).exists():
        shutil.rmtree(settings.ingest_job_dir)
    ledger = Ledger(settings.ingest_job_dir)
    classifier_settings = ClassifierSettings(**settings.model_dump(include=set(ClassifierSettings.model_fields)))
    classifier = connect_classifier(classifier_settings)
    store.ensure_schema(vectors={**catalog.VECTORS, **SOUND_VECTORS}, shards=settings.qdrant_shards,
                        replication_factor=settings.qdrant_replication_factor)

    process = CrawlerProcess({**scrapy_settings(settings), **(scrapy_overrides or {})}, install_root_handler=False)
    for name in ("scrapy", "twisted", "filelock"):  # our progress line and report say what matters
        logging.getLogger(name).setLevel(logging.WARNING)
    process.crawl(
        MelonSpider, songs=songs, base_url=settings.ingest_base_url, ledger=ledger,
        skip=SkipRules(set(settings.ingest_skip_genres), settings.ingest_skip_titles),
        classifier=classifier, store=store, sound=sound,
    )
    process.start()

    report = ledger.report()
    ledger.close()
    version = catalog_version.bump(settings.redis_url, settings.redis_password) if report["stored"] else None
    store.finish_bulk_load()  # the search index, once for the whole crawl (not per batch)
    result = IngestResult(report, store.count(), version, round(time.time() - started, 1))
    store.close()
    classifier.close()
    (Path(settings.ingest_job_dir) / "report.json").write_text(
        json.dumps({**report, "catalog_songs": result.catalog_songs, "seconds": result.seconds}, ensure_ascii=False, indent=2))
    print(f"ingest report: {format_report(report)} · catalog now {result.catalog_songs} songs"
          f" · {result.seconds:.0f} s", file=sys.stderr)
    return result
