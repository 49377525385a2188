"""Progress of `computewatch import` per archive file: where to resume, what it kept."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ImportFile
from storage.pages import utcnow
from storage.upsert import insert_ignoring_conflicts


@dataclass(slots=True)
class FileState:
    offset: int
    records: int
    kept: int
    errors: int
    done: bool
    size: int


def state(session: Session, path: str, size: int) -> FileState:
    """Where reading `path` stands; a file that changed size since is read again from the start
    (what it gave before is not stored twice: pages are keyed by URL)."""
    now = utcnow()
    session.execute(insert_ignoring_conflicts(session, ImportFile.__table__, ["path"]).values(
        path=path, size=size, offset=0, records=0, kept=0, errors=0, done=False,
        started_at=now, updated_at=now))
    row = session.scalar(select(ImportFile).where(ImportFile.path == path))
    if row.size != size:
        row.size, row.offset, row.done, row.updated_at = size, 0, False, now
    return FileState(row.offset, row.records, row.kept, row.errors, row.done, row.size)


def advance(session: Session, path: str, offset: int, records: int, kept: int, errors: int,
            done: bool = False) -> None:
    """Record progress; called in the transaction that stored the pages read before `offset`."""
    session.execute(update(ImportFile).where(ImportFile.path == path).values(
        offset=offset, records=ImportFile.records + records, kept=ImportFile.kept + kept,
        errors=ImportFile.errors + errors, done=done, updated_at=utcnow()))

