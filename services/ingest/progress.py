"""A progress line while the crawl runs (stderr, every few seconds)."""

from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task

from services.ingest.ledger import FAILED, SKIPPED, STORED


class Progress:
    def __init__(self, crawler, interval_s: float):
        self.crawler = crawler
        self.interval_s = interval_s
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("MOODTUNE_PROGRESS_S", 2.0))

    def line(self) -> str:
        ledger = self.crawler.spider.ledger
        done = sum(ledger.outcomes.values()) + sum(1 for s in ledger.previous.values() if s in (STORED, SKIPPED))
        pages = self.crawler.stats.get_value("response_received_count", 0)
        return (f"ingest: {done}/{ledger.seen} songs done · stored {ledger.count(STORED)} · "
                f"skipped {ledger.count(SKIPPED)} · failed {ledger.count(FAILED)} · pages {pages}")

    def opened(self, spider):
        self.loop = task.LoopingCall(lambda: print(self.line(), file=sys.stderr, flush=True))
        self.loop.start(self.interval_s, now=False)

    def closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
