"""Retries with exponential backoff: Scrapy's retry middleware retries at once; a struggling
site deserves a pause that doubles each time (backoff_s, 2 x backoff_s, 4 x ...)."""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_s = settings.getfloat("MOODTUNE_BACKOFF_S", 1.0)

    def _retry(self, request, reason):
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta["backoff_delay"] = self.backoff_s * 2 ** (attempt - 1)
        return retry


class BackoffDelayMiddleware:
    """Waits out a retried request's backoff before it is downloaded."""

    async def process_request(self, request):
        delay = request.meta.pop("backoff_delay", 0)
        if delay:
            await asyncio.sleep(delay)
        return None
