"""A Scrapy extension that keeps one source's crawl_runs row: opened before the crawl, closed on
`spider_closed` with the outcome Scrapy gives (its close reason) and the spider's counts.

Scrapy closes a spider with "finished" when it ran out of work, "closespider_timeout" when
CLOSESPIDER_TIMEOUT (our crawl_time_limit) ran out, "shutdown" on SIGINT/SIGTERM.
"""
from __future__ import annotations

import logging

from scrapy import signals

from storage.runs import RunStatus

log = logging.getLogger(__name__)

CLOSE_REASON_STATUS = {"finished": RunStatus.OK, "closespider_timeout": RunStatus.TIMED_OUT}


def status_for(reason: str | None, entry_points: int, entry_points_ok: int) -> RunStatus:
    """A run's status from Scrapy's close reason; a finished run none of whose feeds, sitemaps
    or listing pages answered failed. Any other reason (a signal) is an interruption."""
    status = CLOSE_REASON_STATUS.get(reason or "", RunStatus.INTERRUPTED)
    if status == RunStatus.OK and entry_points and not entry_points_ok:
        return RunStatus.FAILED
    return status


class RunBookkeeping:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_error(self, failure, response, spider):
        spider.context.counts.error(f"parse_{type(failure.value).__name__}", response.url)

    def spider_closed(self, spider, reason):
        ctx = spider.context
        ctx.close_reason = reason
        stats = self.crawler.stats
        ctx.requests = stats.get_value("downloader/request_count", 0)
        ctx.status = status_for(reason, ctx.entry_points, ctx.entry_points_ok)
        message = {RunStatus.FAILED: "no feed, sitemap or listing page answered",
                   RunStatus.TIMED_OUT: "time limit (crawl_time_limit) reached"}.get(ctx.status)
        summary = {**ctx.counts.summary(), "requests": ctx.requests}
        from storage import runs

        try:
            with ctx.database.session(write=True) as s:
                runs.finish_run(s, ctx.run_id, ctx.status, errors=ctx.counts.errors,
                                skipped=ctx.counts.skipped, error_summary=summary, message=message)
        except Exception as e:          # crawl() reports it: the run stays open, then abandoned
            log.error("closing run %s failed: %s", ctx.run_id, str(e).splitlines()[0])
            ctx.close_failed = str(e).splitlines()[0]
