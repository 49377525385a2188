"""entities and entity_aliases: the organisations claims are about, with aliases in both languages."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Entity, EntityAlias
from storage.upsert import insert_ignoring_conflicts, upsert

_HAN = re.compile(r"[\u3400-\u9fff]")


def sync(session: Session, orgs: list[tuple[str, str, list[str]]]) -> None:
    """Mirror (name, role, aliases) from the lexicon; idempotent, never deletes analysts' rows."""
    if not orgs:
        return
    session.execute(upsert(session, Entity.__table__, ["name"], ["role"]),
                    [{"name": n, "type": "org", "role": r} for n, r, _ in orgs])
    ids = dict(session.execute(select(Entity.name, Entity.id)).all())
    rows = [{"entity_id": ids[n], "alias": a, "lang": "zh" if _HAN.search(a) else "en"}
            for n, _, aliases in orgs for a in dict.fromkeys(aliases)]
    session.execute(insert_ignoring_conflicts(session, EntityAlias.__table__, ["entity_id", "alias"]), rows)


def like_literal(text: str) -> str:
    """A LIKE pattern matching exactly `text` (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve(session: Session, name: str) -> list[str]:
    """Canonical names an analyst's spelling stands for: 'Facebook' and '小扎' are Meta."""
    exact = select(Entity.name).join(EntityAlias, EntityAlias.entity_id == Entity.id).where(
        EntityAlias.alias == name)
    # ilike is for case only: % and _ in a name are characters, not wildcards ('%' is no one).
    pattern = like_literal(name)
    found = set(session.scalars(exact)) or set(session.scalars(
        select(Entity.name).join(EntityAlias, EntityAlias.entity_id == Entity.id).where(
            EntityAlias.alias.ilike(pattern, escape="\\"))))
    found |= set(session.scalars(select(Entity.name).where(Entity.name.ilike(pattern, escape="\\"))))
    return sorted(found) or [name]


def known(session: Session, name: str) -> bool:
    """Whether `name` is an organisation of the lexicon, by its name or an alias (any case)."""
    pattern = like_literal(name)
    return bool(session.scalar(select(Entity.id).where(Entity.name.ilike(pattern, escape="\\")).limit(1))
                or session.scalar(select(EntityAlias.id).where(
                    EntityAlias.alias.ilike(pattern, escape="\\")).limit(1)))
