"""`computewatch crawl`: sources -> Scrapy -> raw pages -> extraction worker -> articles and claims.

One Scrapy process crawls every selected source at once (one crawl_runs row each); a separate
process extracts articles and claims from the pages as they are stored.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("computewatch.run")

GRACE_SECONDS = 20.0        # after a stop signal: how long the extraction worker may finish a page


@dataclass
class RunResult:
    source: str
    run_id: int
    status: str               # one of storage.runs.COMPLETED_STATUSES
    pages: int = 0
    new_articles: int = 0
    new_claims: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    message: str | None = None
    error_summary: dict = field(default_factory=dict)

    def log_fields(self) -> dict:
        return {"source": self.source, "run": self.run_id, "status": self.status,
                "pages": self.pages, "new_articles": self.new_articles,
                "new_claims": self.new_claims, "errors": self.errors, "skipped": self.skipped,
                "seconds": round(self.seconds, 1)}


def sync_entities(database) -> None:
    from nlp.lexicon import load
    from storage import entities

    orgs = [(o["name"], o["role"], o["aliases"]) for o in load("organizations.toml")["org"]]
    with database.session() as s:
        entities.sync(s, orgs)


def crawl(conf, sources, max_pages: int | None = None, display=None) -> list[RunResult]:
    """Crawl `sources` into conf.db; returns one RunResult per source."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.context import CrawlContext
    from crawler.sources import as_dict
    from crawler.scrapy_settings import scrapy_settings
    from crawler.spider import SourceSpider
    from computewatch.processing import ExtractionWorker
    from nlp import EXTRACTOR_VERSION
    from storage import pages as pages_db, runs
    from storage.db import open_database

    # Until Scrapy's reactor installs its own handlers, a stop signal is noted, not fatal, so the
    # runs opened below are closed as interrupted instead of being left 'running'.
    early_stop: list[str] = []
    previous = {sig: signal.signal(sig, lambda n, f: early_stop.append(signal.Signals(n).name))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    database = open_database(conf.db)
    sync_entities(database)
    contexts: list[CrawlContext] = []
    with database.session(write=True) as s:
        runs.close_abandoned(s, [src.name for src in sources])
        for src in sources:
            sid = pages_db.ensure_source(s, src.name, src.lang, as_dict(src))
            contexts.append(CrawlContext(source=src, source_id=sid, run_id=runs.start_run(s, src.name),
                                         database=database,
                                         max_pages=_cap(max_pages, src.max_pages)))
        leftovers = pages_db.unprocessed_page_ids(s, [c.source_id for c in contexts], EXTRACTOR_VERSION)
    started = time.monotonic()

    worker = ExtractionWorker(database.url)
    worker.start()
    worker.submit(leftovers)       # pages an interrupted run stored but did not process
    tally = Tally()

    from scrapy.utils.reactor import install_reactor

    settings = scrapy_settings(conf)
    install_reactor(settings["TWISTED_REACTOR"])
    process = CrawlerProcess(settings)
    from twisted.internet import reactor, task

    stop_reason: list[str] = []

    def closed(spider, reason, ctx):
        ctx.close_reason = reason

    def spider_error(failure, response, spider, ctx):
        ctx.counts.error(f"parse_{type(failure.value).__name__}", response.url)

    for ctx in contexts:
        ctx.on_stored = worker.submit
        crawler = process.create_crawler(SourceSpider)
        crawler.signals.connect(lambda spider, reason, ctx=ctx: closed(spider, reason, ctx),
                                signal=signals.spider_closed, weak=False)
        crawler.signals.connect(
            lambda failure, response, spider, ctx=ctx: spider_error(failure, response, spider, ctx),
            signal=signals.spider_error, weak=False)
        process.crawl(crawler, context=ctx)

    def poll():
        tally.add(worker.collect())
        if display:
            display.update(_progress(contexts, tally, worker))

    timed_out: list[bool] = []

    def time_limit():
        timed_out.append(True)
        stop_reason.append(f"time limit of {conf.crawl_time_limit:g} s reached")
        process.stop()

    poller = task.LoopingCall(poll)
    poller.start(0.25)
    limit = reactor.callLater(conf.crawl_time_limit, time_limit)
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    if early_stop:
        stop_reason.append(f"stopped by {early_stop[0]} before crawling")
    else:
        process.start()             # until every spider closes (SIGINT/SIGTERM close them gracefully)
    if limit.active():
        limit.cancel()

    # "finished" is Scrapy's close reason for a crawl that ran out of work; anything else
    # (shutdown on a signal, a second signal that killed the reactor: None) is an interruption.
    interrupted = bool(stop_reason) or any(ctx.close_reason != "finished" for ctx in contexts)
    _drain(worker, tally, contexts, display, stop_now=interrupted)
    if worker.process.exitcode not in (0, None) and not interrupted:
        stop_reason.append(f"the extraction worker died (exit {worker.process.exitcode}); "
                           "pages it did not read are extracted by the next crawl")

    results = []
    with database.session(write=True) as s:
        for ctx in contexts:
            # timed_out counts as a failure (the daemon backs off); interrupted (a signal) not.
            status = "timed_out" if timed_out else "interrupted" if interrupted else (
                "failed" if ctx.entry_points and not ctx.entry_points_ok else "ok")
            message = "; ".join(stop_reason) if stop_reason else (
                "no feed, sitemap or listing page answered" if status == "failed" else None)
            run = runs.finish_run(s, ctx.run_id, status, pages=ctx.counts.pages,
                                  errors=ctx.counts.errors, skipped=ctx.counts.skipped,
                                  error_summary=ctx.counts.summary(), message=message)
            results.append(RunResult(ctx.source.name, run.id, status, run.pages, run.new_articles,
                                     run.new_claims, run.errors, run.skipped,
                                     time.monotonic() - started, message, ctx.counts.summary()))
    database.dispose()
    for r in results:
        log.info("run", extra={"fields": r.log_fields()})
    return results


def _cap(a: int | None, b: int | None) -> int | None:
    caps = [x for x in (a, b) if x is not None]
    return min(caps) if caps else None


def _drain(worker, tally, contexts, display, stop_now: bool) -> None:
    """Let the worker finish the stored pages; on a stop signal, only the page in hand."""
    interrupted = [stop_now]

    def on_signal(signum, frame):
        interrupted[0] = True
        worker.stop_flag.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.finish(stop_now=stop_now)
        deadline = None
        while worker.alive():
            if interrupted[0] and deadline is None:
                deadline = time.monotonic() + GRACE_SECONDS
            if deadline and time.monotonic() > deadline:
                break
            worker.process.join(0.2)
            tally.add(worker.collect())
            if display:
                display.update(_progress(contexts, tally, worker))
        worker.join(1.0)
        tally.add(worker.collect())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Tally:
    """What the extraction worker reported, for the live display."""

    def __init__(self):
        self.articles = 0
        self.claims = 0

    def add(self, items) -> None:
        for p in items:
            if p.new_article and p.outcome == "article":
                self.articles += 1
                self.claims += p.claims


def _progress(contexts, tally, worker) -> dict:
    return {"sources": len(contexts),
            "pages": sum(c.counts.pages for c in contexts),
            "articles": tally.articles, "claims": tally.claims,
            "errors": sum(c.counts.errors for c in contexts),
            "extracting": worker.pending}


class LiveDisplay:
    """A one-line live status on a terminal (nothing when stderr is not one)."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.live = None

    def __enter__(self):
        if self.console.is_terminal:
            from rich.live import Live
            self.live = Live("", console=self.console, transient=True, refresh_per_second=4)
            self.live.__enter__()
        return self

    def update(self, p: dict) -> None:
        if self.live:
            self.live.update(
                f"[bold]crawling[/] {p['sources']} source(s) · pages {p['pages']} · "
                f"articles {p['articles']} · claims {p['claims']} · errors {p['errors']} · "
                f"extracting {p['extracting']}")

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)
