"""Articles and their claims: written per page in one transaction, keyed so rewrites are no-ops."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp.types import STORED_CLAIM_FIELDS
from storage import facts
from storage.models import Article, Claim, Page
from storage.pages import Outcome, mark_page, utcnow

CLAIM_COLUMNS = STORED_CLAIM_FIELDS
_COLUMN_DEFAULTS = {"earlier": False}


@dataclass(slots=True)
class ArticleRecord:
    """What processing made of one page: the article and whether it is on topic."""

    content_hash: str
    url: str
    canonical_url: str | None
    title: str | None
    author: str | None
    published: str | None            # ISO date
    lang: str
    encoding: str | None
    text: str
    topic_score: float
    relevant: bool


@dataclass(slots=True)
class Saved:
    outcome: Outcome                 # article | irrelevant | duplicate
    article_id: int
    new_article: bool
    claims: int                      # claims the article now has


def _date(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


def save(session: Session, page: Page, record: ArticleRecord, claims: list[dict],
         version: str) -> Saved:
    """Store the article read from `page` with its claims (kept only if it is on topic).

    The same text reached under another URL is a duplicate of the article already stored.
    Re-processing a page replaces what that page produced before, so the result is the same
    however often it runs.
    """
    owned = session.scalar(select(Article).where(Article.first_page_id == page.id))
    other = session.scalar(select(Article).where(Article.content_hash == record.content_hash))
    if other is not None and (owned is None or other.id != owned.id):
        if owned is not None:            # the extractor now reads this page as another's text
            gone = facts.facts_of_article(session, owned.id)
            session.delete(owned)
            session.flush()
            facts.prune(session, gone)
            session.flush()
        mark_page(session, page.id, Outcome.DUPLICATE, version, other.id,
                  detail=f"same text as article {other.id}")
        return Saved(Outcome.DUPLICATE, other.id, False, 0)

    fields = dict(
        content_hash=record.content_hash, url=record.url, canonical_url=record.canonical_url,
        title=record.title, author=record.author, published=_date(record.published),
        reported_on=_date(record.published) or page.fetched_at.date(), lang=record.lang,
        encoding=record.encoding, text=record.text, topic_score=record.topic_score,
        relevant=record.relevant, extractor_version=version)
    new = owned is None
    previous: set[int] = set()
    if new:
        owned = Article(first_page_id=page.id, source_id=page.source_id, created_at=utcnow(), **fields)
        try:
            with session.begin_nested():      # another process may store the same text meanwhile
                session.add(owned)
                session.flush()
        except IntegrityError:
            other = session.scalar(select(Article).where(Article.content_hash == record.content_hash))
            if other is None:
                raise
            mark_page(session, page.id, Outcome.DUPLICATE, version, other.id,
                      detail=f"same text as article {other.id}")
            return Saved(Outcome.DUPLICATE, other.id, False, 0)
    else:
        for k, v in fields.items():
            setattr(owned, k, v)
        previous = facts.facts_of_article(session, owned.id)
        session.execute(delete(Claim).where(Claim.article_id == owned.id))
    kept = claims if record.relevant else []
    if kept and record.published is None:
        # Undated: periods and exchange rates are those of the fetch date, not of today's run.
        from nlp import semantics
        kept = semantics.annotate_dicts(kept, record.text, fields["reported_on"])
    if kept:
        session.execute(Claim.__table__.insert(), [
            {**{k: c.get(k, _COLUMN_DEFAULTS.get(k)) for k in CLAIM_COLUMNS},
             "article_id": owned.id, "extractor_version": version}
            for c in _unique_spans(kept)])
    outcome = Outcome.ARTICLE if record.relevant else Outcome.IRRELEVANT
    mark_page(session, page.id, outcome, version, owned.id)
    # The facts follow the claims in the same transaction (DESIGN.md "Facts").
    facts.consolidate(session, owned.id, previous)
    return Saved(outcome, owned.id, new, len(kept))


def _unique_spans(claims: list[dict]) -> list[dict]:
    seen, out = set(), []
    for c in claims:
        key = (c["kind"], c["start"], c["end"])
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def save_not_article(session: Session, page: Page, reason: str, version: str) -> None:
    """A page that holds no article (a PDF, an empty or listing page): remember why."""
    owned = session.scalar(select(Article).where(Article.first_page_id == page.id))
    if owned is not None:
        gone = facts.facts_of_article(session, owned.id)
        session.delete(owned)
        session.flush()
        facts.prune(session, gone)
    mark_page(session, page.id, Outcome.NOT_ARTICLE, version, None, detail=reason)
