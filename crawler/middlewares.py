"""Scrapy middlewares: retries that back off exponentially instead of hammering a failing host,
the off-site check before connecting, entry points left incomplete by a failed callback."""
from __future__ import annotations

import asyncio

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.utils.httpobj import urlparse_cached


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


class OffsiteBeforeConnectMiddleware(OffsiteMiddleware):
    """Scrapy's off-site filter, also for dont_filter requests (ours carry it: the spider does
    its own de-duplication) and for the redirects they lead to, so a page redirecting to
    another host never makes us connect to it. Only `allow_offsite` in meta lets one through.
    Checked in the downloader chain, not when scheduled, so the spider's errback counts it."""

    @classmethod
    def from_crawler(cls, crawler):
        o = cls(crawler.stats)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        o.crawler = crawler
        return o

    def process_request(self, request, spider=None):
        if request.meta.get("allow_offsite") or self.should_follow(request, self.crawler.spider):
            return None
        self.stats.inc_value("offsite/filtered")
        raise IgnoreRequest(f"Filtered offsite request to {urlparse_cached(request).hostname!r}")


class BodySizeLimit:
    """Extension: a body growing past DOWNLOAD_MAXSIZE with no Content-Length (an endless
    body) is stopped here, as StopDownload, so the spider can tell it from other cancelled
    downloads and record it as too_large (permanent) rather than a transient failure."""

    def __init__(self, crawler):
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def bytes_received(self, data, request, spider=None):
        limit = request.meta.get("download_maxsize", self.maxsize)
        received = request.meta.get("body_bytes", 0) + len(data)
        request.meta["body_bytes"] = received
        if limit and received > limit:
            raise StopDownload(fail=True)
