"""Downloader middlewares: retries that back off exponentially instead of hammering a failing host."""
from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with a delay of RETRY_BACKOFF_BASE * 2**(attempt-1) seconds (capped)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request, reason):
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta["backoff_delay"] = min(self.cap, self.base * 2 ** (attempt - 1))
        return retry


class BackoffDelayMiddleware:
    """Waits out `backoff_delay` before a retried request goes to the downloader."""

    async def process_request(self, request):
        delay = request.meta.pop("backoff_delay", 0)
        if delay > 0:
            await asyncio.sleep(delay)
        return None


class IncompleteOnErrorMiddleware:
    """Spider middleware: a callback that raised left the rest of its links unrequested, so
    its entry point's validators must not be saved (the next run would get a 304 and miss
    them). The error itself is still counted by the spider_error signal."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_exception(self, response, exception):
        incomplete = getattr(self.crawler.spider, "incomplete", None)
        if incomplete is not None:
            incomplete.add(response.meta.get("via"))
        return None
