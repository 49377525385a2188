"""The processing queue is the pages table (DESIGN.md: Processing).

A stored page that the current extractor has not processed is pending. A worker claims a batch
with a lease (lease_owner, lease_until): one statement, `UPDATE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED) RETURNING id` — on PostgreSQL concurrent workers skip each other's rows; on
SQLite the clause is dropped and the write lock (BEGIN IMMEDIATE) serialises claims. A worker that
dies keeps nothing: once its lease expires the pages are pending again, at once if a worker of
the same host sees its process gone (release_owners).

`attempts` counts the times a worker started reading a page without finishing it. It is raised
just before the page is read and cleared when it is done or handed back (a stop, a database
fault), so only a worker that died reading the page leaves it raised; a page that did so
MAX_ATTEMPTS times is marked `error` instead of being tried again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Page
from storage.pages import utcnow

MAX_ATTEMPTS = 2            # worker deaths on one page before it is given up
DEFAULT_LEASE = 300.0       # seconds; renewed at every page of the batch


def is_pending(version: str):
    """Not processed by `version` (never processed, or by another extractor)."""
    return or_(Page.processed_version.is_(None), Page.processed_version != version)


def _free(now: datetime):
    return or_(Page.lease_until.is_(None), Page.lease_until < now)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which pending pages a worker takes (default: all of them)."""

    source_id: int | None = None
    new_only: bool = False            # only pages never processed (a crawl's own worker)

    def where(self, version: str) -> list:
        conds = [Page.processed_version.is_(None) if self.new_only else is_pending(version)]
        if self.source_id is not None:
            conds.append(Page.source_id == self.source_id)
        return conds


def claim(session: Session, owner: str, version: str, limit: int, lease: float = DEFAULT_LEASE,
          scope: Scope = Scope()) -> list[int]:
    """Lease up to `limit` pending pages to `owner`; their ids, oldest first.

    Never-processed pages come before pages an older extractor read (new articles first).
    """
    now = utcnow()
    picked = (select(Page.id).where(*scope.where(version), _free(now))
              .order_by(Page.processed_version.is_not(None), Page.id).limit(limit)
              .with_for_update(skip_locked=True))
    stmt = (update(Page).where(Page.id.in_(picked.scalar_subquery()))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
            .returning(Page.id).execution_options(synchronize_session=False))
    return sorted(session.scalars(stmt))


def start(session: Session, page_id: int, owner: str, lease: float = DEFAULT_LEASE) -> int | None:
    """About to read `page_id`: count the attempt and renew the owner's lease on its batch.

    Returns the attempts made before this one, or None if the lease was lost (expired and taken
    by another worker): the page is not ours to process.
    """
    until = utcnow() + timedelta(seconds=lease)
    session.execute(update(Page).where(Page.lease_owner == owner).values(lease_until=until)
                    .execution_options(synchronize_session=False))
    before = session.scalar(select(Page.attempts).where(Page.id == page_id, Page.lease_owner == owner))
    if before is None:
        return None
    session.execute(update(Page).where(Page.id == page_id).values(attempts=Page.attempts + 1)
                    .execution_options(synchronize_session=False))
    return before


def done(session: Session, page_id: int) -> None:
    """The page is processed (its outcome written in the same transaction): lease and count cleared."""
    session.execute(update(Page).where(Page.id == page_id)
                    .values(lease_owner=None, lease_until=None, attempts=0)
                    .execution_options(synchronize_session=False))


def release(session: Session, owner: str, page_ids: list[int] | None = None,
            undo_attempt: int | None = None) -> int:
    """Hand pages back to the queue (a stop, a database fault): pending again at once.

    `undo_attempt`: a page whose reading was interrupted for a reason that is not the page.
    """
    if undo_attempt is not None:
        session.execute(update(Page).where(Page.id == undo_attempt, Page.lease_owner == owner,
                                           Page.attempts > 0)
                        .values(attempts=Page.attempts - 1)
                        .execution_options(synchronize_session=False))
    q = update(Page).where(Page.lease_owner == owner)
    if page_ids is not None:
        q = q.where(Page.id.in_(page_ids))
    return session.execute(q.values(lease_owner=None, lease_until=None)
                           .execution_options(synchronize_session=False)).rowcount


def lease_owners(session: Session) -> list[str]:
    """Who holds leases now (expired ones included: their owner may still be at work)."""
    return list(session.scalars(select(Page.lease_owner).where(Page.lease_owner.is_not(None))
                                .distinct()))


def release_owners(session: Session, owners: list[str]) -> int:
    """Hand back every lease of `owners`, workers known to have ended (their process on this
    host is gone): pending at once rather than when the lease runs out. The page such a worker
    had in hand keeps its attempt: it may be the page that killed it."""
    if not owners:
        return 0
    return session.execute(update(Page).where(Page.lease_owner.in_(owners))
                           .values(lease_owner=None, lease_until=None)
                           .execution_options(synchronize_session=False)).rowcount


def mark_for_reprocessing(session: Session, version: str, source_id: int | None = None,
                          everything: bool = False) -> int:
    """What `reprocess` queues: pages an older extractor read (already pending), or with
    `everything` every page (its version cleared, its article kept until it is read again).
    Returns how many pages are now pending in that scope."""
    if everything:
        q = update(Page).where(Page.processed_version.is_not(None))
        if source_id is not None:
            q = q.where(Page.source_id == source_id)
        session.execute(q.values(processed_version=None, attempts=0)
                        .execution_options(synchronize_session=False))
    return depth(session, version, Scope(source_id=source_id)).pending


@dataclass(frozen=True, slots=True)
class Depth:
    pending: int                      # pages waiting (leased ones included)
    leased: int                       # ... of which a worker holds now
    oldest: datetime | None           # fetch time of the oldest pending page (naive UTC)


def depth(session: Session, version: str, scope: Scope = Scope()) -> Depth:
    now = utcnow()
    leased = and_(Page.lease_until.is_not(None), Page.lease_until >= now)
    row = session.execute(select(func.count(Page.id), func.count(Page.id).filter(leased),
                                 func.min(Page.fetched_at)).where(*scope.where(version))).one()
    return Depth(row[0] or 0, row[1] or 0, row[2])


def depth_by_source(session: Session, version: str) -> dict[str | None, Depth]:
    """depth() per source name (None: pages of no source)."""
    from storage.models import Source

    now = utcnow()
    leased = and_(Page.lease_until.is_not(None), Page.lease_until >= now)
    rows = session.execute(
        select(Source.name, func.count(Page.id), func.count(Page.id).filter(leased),
               func.min(Page.fetched_at))
        .select_from(Page).outerjoin(Source, Source.id == Page.source_id)
        .where(is_pending(version)).group_by(Source.name))
    return {name: Depth(n or 0, held or 0, oldest) for name, n, held, oldest in rows}
