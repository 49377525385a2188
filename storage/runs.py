"""crawl_runs: one row per crawl of one source, opened at start and closed with its counts."""
from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, Claim, CrawlRun, Page, Source
from storage.pages import utcnow


# How a run can end. A failed one did not do its job (the daemon backs off); an interrupted one
# was stopped by a signal and says nothing about the source.
FAILED_STATUSES = ("failed", "killed", "timed_out")
COMPLETED_STATUSES = ("ok", "interrupted", *FAILED_STATUSES)


def consecutive_failures(statuses: Iterable[str]) -> int:
    """Failed runs at the head of `statuses` (newest first): what the daemon backs off from.

    Running and interrupted runs (the daemon was stopped) say nothing about the source: they
    neither count as failures nor end the streak as a success would.
    """
    n = 0
    for status in statuses:
        if status in FAILED_STATUSES:
            n += 1
        elif status not in ("running", "interrupted"):
            break
    return n


def start_run(session: Session, source: str) -> int:
    run = CrawlRun(source=source, started_at=utcnow(), status="running", pid=os.getpid(),
                   error_summary={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, *, pages: int, errors: int,
               skipped: int, error_summary: dict, message: str | None = None) -> CrawlRun:
    """Close a run; its new (on-topic) articles and claims are counted from what its pages produced."""
    new_articles = session.scalar(
        select(func.count(Article.id)).join(Page, Page.id == Article.first_page_id)
        .where(Page.crawl_run_id == run_id, Article.relevant.is_(True)))
    new_claims = session.scalar(
        select(func.count(Claim.id)).join(Article, Article.id == Claim.article_id)
        .join(Page, Page.id == Article.first_page_id).where(Page.crawl_run_id == run_id))
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
    run.pages, run.errors, run.skipped = pages, errors, skipped
    run.new_articles, run.new_claims = new_articles or 0, new_claims or 0
    run.error_summary = error_summary
    run.message = message
    return run


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
    q = select(CrawlRun).where(CrawlRun.status == "running")
    if sources:
        q = q.where(CrawlRun.source.in_(sources))
    n = 0
    for run in session.scalars(q):
        if pids_alive is not None and run.pid and pids_alive(run.pid):
            continue
        run.status, run.ended_at = status, run.ended_at or utcnow()
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
        status=status, ended_at=utcnow(), message=message))


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
