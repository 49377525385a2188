"""`computewatch crawl`: sources -> Scrapy -> raw pages (the queue) -> worker -> articles and claims.

One Scrapy process crawls every selected source at once (one crawl_runs row each, kept by the
computewatch.run_bookkeeping extension); a worker process (computewatch.worker) processes the
pages as they are stored, unless the daemon's workers do.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field

from storage.db import DatabaseError
from storage.runs import RunStatus

log = logging.getLogger("computewatch.run")

GRACE_SECONDS = 20.0        # after a stop signal: how long the worker may finish its page
HARD_STOP_AFTER = 60.0      # past crawl_time_limit, the watchdog ends a crawl stuck for good


@dataclass
class RunResult:
    source: str
    run_id: int
    status: RunStatus         # one of storage.runs.COMPLETED_STATUSES
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


def crawl(conf, sources, max_pages: int | None = None, display=None,
          process_pages: bool = True, await_workers: bool = False) -> list[RunResult]:
    """Crawl `sources` into conf.db; returns one RunResult per source.

    With `process_pages` a worker process (computewatch.worker.CrawlWorker) processes the pages
    as they are stored and drains the queue's new pages before this returns; without, the pages
    are left pending for the workers already running (the daemon's) and, with `await_workers`,
    waited for until they are processed (so the run's figures are complete when it returns).
    Raises DatabaseError when the SQLite file was deleted or replaced during the crawl.
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.context import CrawlContext
    from crawler.sources import as_dict
    from crawler.scrapy_settings import scrapy_settings
    from crawler.spider import SourceSpider
    from computewatch.worker import CrawlWorker
    from storage import pages as pages_db, runs
    from storage.db import open_database

    # Until Scrapy's reactor installs its own handlers, a stop signal is noted, not fatal, so the
    # runs opened below are closed as interrupted instead of being left 'running'.
    early_stop: list[str] = []
    previous = {sig: signal.signal(sig, lambda n, f: early_stop.append(signal.Signals(n).name))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    database = open_database(conf.db)
    db_file = DatabaseFile(database.url)
    sync_entities(database)
    contexts: list[CrawlContext] = []
    with database.session(write=True) as s:
        runs.close_abandoned(s, [src.name for src in sources])
        for src in sources:
            sid = pages_db.ensure_source(s, src.name, src.lang, as_dict(src))
            contexts.append(CrawlContext(source=src, source_id=sid, run_id=runs.start_run(s, src.name),
                                         database=database,
                                         max_pages=_cap(max_pages, src.max_pages)))
    started = time.monotonic()
    # Every stage ends by this: Scrapy's CLOSESPIDER_TIMEOUT closes the spiders, the worker
    # gets what is left of it to drain, and a watchdog ends a process stuck past it for good.
    deadline = started + conf.crawl_time_limit
    worker = CrawlWorker(database.url, conf.worker_lease) if process_pages else None
    if worker:
        worker.start()
    watchdog = Watchdog(conf.crawl_time_limit + HARD_STOP_AFTER, database, contexts, worker)

    from scrapy.utils.reactor import install_reactor

    settings = scrapy_settings(conf)
    settings["CLOSESPIDER_TIMEOUT"] = conf.crawl_time_limit
    settings["EXTENSIONS"] = {**settings.get("EXTENSIONS", {}), "computewatch.run_bookkeeping.RunBookkeeping": 0}
    install_reactor(settings["TWISTED_REACTOR"])
    process = CrawlerProcess(settings)
    from twisted.internet import task

    stop_reason: list[str] = []
    for ctx in contexts:
        process.crawl(process.create_crawler(SourceSpider), context=ctx)

    def poll():
        if not db_file.intact() and not stop_reason:
            stop_reason.append(db_file.problem())
            process.stop()
        if display:
            display.update(_progress(contexts, worker))

    poller = task.LoopingCall(poll)
    poller.start(0.25)
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    if early_stop:
        stop_reason.append(f"stopped by {early_stop[0]} before crawling")
    else:
        process.start()             # until every spider closes (SIGINT/SIGTERM close them gracefully)

    statuses = {ctx.run_id: ctx.status or RunStatus.INTERRUPTED for ctx in contexts}
    interrupted = bool(stop_reason) or any(s == RunStatus.INTERRUPTED for s in statuses.values())
    if worker:
        from storage import db as db_mod

        # The database already failed this crawl (a full disk): the worker would only meet the
        # same fault, so it stops after the page in hand and the rest stays pending.
        drained = _drain(worker, deadline, contexts, display,
                         stop_now=interrupted or db_mod.first_fault is not None)
        if drained is not True and not interrupted:
            stop_reason.append(drained)
            interrupted = drained.startswith("stopped by")
            # Only the time limit fails the runs; a stop signal while processing interrupts them
            # (exit 130), else a SIGTERM would count as a failure the daemon backs off from.
            if not interrupted:
                for ctx in contexts:
                    if statuses[ctx.run_id] == RunStatus.OK:
                        statuses[ctx.run_id] = RunStatus.TIMED_OUT
    elif await_workers and not interrupted:
        waited = _await_workers(database, [c.run_id for c in contexts], deadline)
        if waited is not True:
            stop_reason.append(waited)
            interrupted = waited.startswith("stopped by")
    watchdog.cancel()
    if not db_file.intact():
        database.dispose()
        raise DatabaseError(db_file.problem() + ": nothing of this crawl was kept")

    results = []
    with database.session(write=True) as s:
        for ctx in contexts:
            status = statuses[ctx.run_id]
            if interrupted and status != RunStatus.TIMED_OUT:
                status = RunStatus.INTERRUPTED
            run = s.get(runs.CrawlRun, ctx.run_id)
            if run.status == RunStatus.FAILED and status == RunStatus.OK:
                status = RunStatus.FAILED    # closed as failed: a database fault met on the way
            if run.status == RunStatus.RUNNING or run.status != status:
                message = "; ".join(stop_reason) if stop_reason else run.message
                if run.status == RunStatus.RUNNING:      # the spider never closed (stopped early)
                    runs.finish_run(s, ctx.run_id, status, errors=ctx.counts.errors,
                                    skipped=ctx.counts.skipped,
                                    error_summary=ctx.counts.summary(), message=message)
                else:
                    runs.set_status(s, ctx.run_id, status, message)
                s.refresh(run)
            results.append(RunResult(ctx.source.name, run.id, run.status, run.pages,
                                     run.new_articles, run.new_claims, run.errors, run.skipped,
                                     _run_seconds(run, time.monotonic() - started), run.message,
                                     run.error_summary))
    database.dispose()
    for r in results:
        log.info("run", extra={"fields": r.log_fields()})
    return results


def _run_seconds(run, whole_crawl: float) -> float:
    """This source's own time (its spider's open to close), not the whole crawl's: sources
    crawled side by side end at different times."""
    if run.started_at and run.ended_at:
        return max(0.0, (run.ended_at - run.started_at).total_seconds())
    return whole_crawl


def _cap(a: int | None, b: int | None) -> int | None:
    caps = [x for x in (a, b) if x is not None]
    return min(caps) if caps else None


def _drain(worker, deadline: float, contexts, display, stop_now: bool):
    """Let the worker process the pending pages until `deadline`; on a stop signal, only the
    page in hand. True when it finished; else why it was stopped."""
    stopped: list[str] = []

    def on_signal(signum, frame):
        stopped.append(signal.Signals(signum).name)
        worker.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if stop_now:
            worker.stop()
            deadline = min(deadline, time.monotonic() + GRACE_SECONDS)
        else:
            worker.finish()
        tick = (lambda: display.update(_progress(contexts, worker))) if display else (lambda: None)
        done = worker.wait(max(deadline, time.monotonic() + 1.0), on_tick=tick, grace=GRACE_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopped:
        return f"stopped by {stopped[0]} while processing pages (the rest stay pending)"
    if not done and not stop_now:
        return "time limit (crawl_time_limit) reached while processing pages (the rest stay pending)"
    return True


def _await_workers(database, run_ids: list[int], deadline: float):
    """Wait until other workers processed the pages these runs stored; True, or why not."""
    from sqlalchemy import func, select

    from storage.models import Page

    stopped: list[str] = []
    previous = {sig: signal.signal(sig, lambda n, f: stopped.append(signal.Signals(n).name))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopped and time.monotonic() < deadline:
            try:
                with database.session() as s:
                    left = s.scalar(select(func.count(Page.id)).where(
                        Page.crawl_run_id.in_(run_ids), Page.processed_version.is_(None)))
            except Exception:            # the database is away for a moment: ask again
                left = -1
            if left == 0:
                return True
            time.sleep(0.3)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopped:
        return f"stopped by {stopped[0]} while the workers processed its pages (they stay pending)"
    return "time limit (crawl_time_limit) reached while the workers processed its pages"


class DatabaseFile:
    """The SQLite file a crawl writes to, to notice it deleted or replaced meanwhile (writes to
    an unlinked file succeed and are lost with it)."""

    def __init__(self, url: str):
        from storage.db import sqlite_path

        self.path = sqlite_path(url)
        self.identity = self._identity()

    def _identity(self):
        if not self.path:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def intact(self) -> bool:
        return self.path is None or self.identity is None or self._identity() == self.identity

    def problem(self) -> str:
        return f"{self.path}: the database file was deleted or replaced during the crawl"


class Watchdog:
    """The deadline that holds when nothing else can: a crawl stuck past it (a spider callback
    that never returns blocks the reactor, and with it every timer) has its runs closed as
    timed out from this thread and the process ends with exit 4."""

    def __init__(self, seconds: float, database, contexts, worker):
        import threading

        self.database, self.contexts, self.worker = database, contexts, worker
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()

    def fire(self) -> None:
        from storage import runs

        log.error("crawl stuck past its time limit: stopping it")
        if self.worker:
            self.worker.process.kill()
        try:
            with self.database.session(write=True) as s:
                for ctx in self.contexts:
                    runs.finish_run(s, ctx.run_id, RunStatus.TIMED_OUT, errors=ctx.counts.errors,
                                    skipped=ctx.counts.skipped, error_summary=ctx.counts.summary(),
                                    message="stuck past the time limit (crawl_time_limit): killed")
        finally:
            os._exit(4)

    def cancel(self) -> None:
        self.timer.cancel()


def _progress(contexts, worker) -> dict:
    pages = sum(c.counts.pages for c in contexts)
    done, articles, claims = worker.done if worker else (0, 0, 0)
    return {"sources": len(contexts), "pages": pages, "articles": articles, "claims": claims,
            "errors": sum(c.counts.errors for c in contexts),
            "processing": max(0, pages - done) if worker else None}


class LiveDisplay:
    """A one-line live status on a terminal (nothing when stderr is not one)."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.live = None

    def __enter__(self):
        if self.console.is_terminal:
            from rich.live import Live
            self.live = Live("", console=self.console, transient=True, refresh_per_second=4,
                             redirect_stderr=True)
            self.live.__enter__()
            # Log lines go through the live display (printed above the status line, which is
            # then redrawn) instead of being written across it: the handlers took sys.stderr
            # before Live replaced it with its proxy.
            self._handlers = [h for h in logging.getLogger().handlers
                              if type(h) is logging.StreamHandler and h.stream is sys.__stderr__]
            for h in self._handlers:
                h.setStream(sys.stderr)
        return self

    def update(self, p: dict) -> None:
        if self.live:
            self.live.update(
                f"[bold]crawling[/] {p['sources']} source(s) · pages {p['pages']} · "
                f"articles {p['articles']} · claims {p['claims']} · errors {p['errors']}"
                + (f" · processing {p['processing']}" if p['processing'] is not None else ""))

    def __exit__(self, *exc):
        if self.live:
            for h in self._handlers:
                h.setStream(sys.__stderr__)
            self.live.__exit__(*exc)
