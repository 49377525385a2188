"""INSERT ... ON CONFLICT for both dialects: the building block of idempotent writes."""
from __future__ import annotations

from sqlalchemy.orm import Session


def insert_ignoring_conflicts(session: Session, table, index_elements: list[str]):
    """An INSERT that silently skips rows whose unique key already exists."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


def upsert(session: Session, table, index_elements: list[str], update: list[str]):
    """An INSERT that updates `update` columns of the row with the same unique key."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=index_elements,
                                      set_={c: stmt.excluded[c] for c in update})
