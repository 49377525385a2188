"""crawl_runs: one row per crawl of one source, opened at start and closed with its counts."""
from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Page, Source
from storage.pages import utcnow


class RunStatus(StrEnum):
    """crawl_runs.status. A failed run did not do its job (the daemon backs off); an interrupted
    one was stopped by a signal and says nothing about the source."""

    RUNNING = "running"
    OK = "ok"
    INTERRUPTED = "interrupted"
    FAILED = "failed"                # no entry point answered, the database vanished...
    KILLED = "killed"                # past the daemon's wall-clock limit
    TIMED_OUT = "timed_out"          # stopped by crawl_time_limit


FAILED_STATUSES = (RunStatus.FAILED, RunStatus.KILLED, RunStatus.TIMED_OUT)
COMPLETED_STATUSES = (RunStatus.OK, RunStatus.INTERRUPTED, *FAILED_STATUSES)


def consecutive_failures(statuses: Iterable[str]) -> int:
    """Failed runs at the head of `statuses` (newest first): what the daemon backs off from.

    Running and interrupted runs (the daemon was stopped) say nothing about the source: they
    neither count as failures nor end the streak as a success would.
    """
    n = 0
    for status in statuses:
        if status in FAILED_STATUSES:
            n += 1
        elif status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
            break
    return n


def start_run(session: Session, source: str) -> int:
    run = CrawlRun(source=source, started_at=utcnow(), status=RunStatus.RUNNING, pid=os.getpid(),
                   error_summary={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, *, errors: int,
               skipped: int, error_summary: dict, message: str | None = None) -> CrawlRun:
    """Close a run. Its pages are those stored with its id; its new articles and claims are
    credited by the workers as they process its pages (credit), so they may still grow after
    the run is closed when another process (the daemon's worker) processes them."""
    from storage import db

    if db.first_fault is not None:
        # The database failed this process (disk full, read-only...) and the crawl carried on
        # (a failed write is counted): the run did not do its job.
        url, fault = db.first_fault
        status = "failed" if status == "ok" else status
        message = "; ".join(m for m in (db.explain(url, fault), message) if m)
    run = session.get(CrawlRun, run_id)
    run.ended_at = utcnow()
    run.status = status
    run.pages, run.errors, run.skipped = stored_pages(session, run_id), errors, skipped
    run.error_summary = error_summary
    run.message = message
    return run


def stored_pages(session: Session, run_id: int) -> int:
    """Pages stored by a run: counted from the pages themselves, so a run stopped before it
    could count them (killed, interrupted) is still credited with them."""
    return session.scalar(select(func.count(Page.id)).where(Page.crawl_run_id == run_id)) or 0


def credit(session: Session, run_id: int, articles: int, claims: int) -> None:
    """A worker stored a new on-topic article from one of the run's pages."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
        new_articles=CrawlRun.new_articles + articles, new_claims=CrawlRun.new_claims + claims))


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine still has this pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # alive, someone else's
        return True
    return True


def close_abandoned(session: Session, sources: list[str] | None = None, status: str = "interrupted",
                    pids_alive=pid_alive) -> int:
    """Runs left 'running' by a process that is gone (killed, machine restarted)."""
    q = select(CrawlRun).where(CrawlRun.status == RunStatus.RUNNING)
    if sources:
        q = q.where(CrawlRun.source.in_(sources))
    n = 0
    for run in session.scalars(q):
        if pids_alive is not None and run.pid and pids_alive(run.pid):
            continue
        run.status, run.ended_at = status, run.ended_at or utcnow()
        run.pages = max(run.pages or 0, stored_pages(session, run.id))
        run.message = run.message or "the crawling process ended without closing the run"
        n += 1
    return n


def source_id(session: Session, name: str) -> int | None:
    return session.scalar(select(Source.id).where(Source.name == name))


def last_runs(session: Session, source: str, n: int = 10) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.source == source)
                                .order_by(CrawlRun.id.desc()).limit(n)))


def set_status(session: Session, run_id: int, status: str, message: str | None = None) -> None:
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
        status=status, ended_at=utcnow(), message=message, pages=stored_pages(session, run_id)))


def record_run(session: Session, source: str, status: str, started_at, ended_at, pid: int | None,
               message: str | None) -> int:
    """A run the crawl process could not record itself (it died before opening its row)."""
    run = CrawlRun(source=source, started_at=started_at, ended_at=ended_at, status=status, pid=pid,
                   message=message, error_summary={})
    session.add(run)
    session.flush()
    return run.id


def fail_open_runs(session: Session, pid: int, message: str) -> int:
    """Runs process `pid` left 'running' (a database fault stopped it): failed."""
    result = session.execute(update(CrawlRun).where(CrawlRun.status == "running", CrawlRun.pid == pid)
                             .values(status="failed", ended_at=utcnow(), message=message[:2000]))
    return result.rowcount or 0
