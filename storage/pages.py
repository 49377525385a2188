"""Raw pages, sources and feed validators: what the crawler hands over, kept as fetched."""
from __future__ import annotations

import zlib
from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crawler.items import FetchedPage  # noqa: F401 - the crawler's hand-off type, defined there
from storage.models import FetchState, Page, Source
from storage.upsert import insert_ignoring_conflicts, upsert


class Outcome(StrEnum):
    """What processing made of a page (pages.outcome)."""

    ARTICLE = "article"              # an on-topic article, with its claims
    IRRELEVANT = "irrelevant"        # an article, off-topic: no claims
    DUPLICATE = "duplicate"          # the same text as an article stored from another page
    NOT_ARTICLE = "not_article"      # no article in it (a PDF, a listing, empty)
    ERROR = "error"                  # the extractor failed on it (or died on it twice)


def utcnow() -> datetime:
    """Naive UTC: both dialects store it alike."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def ensure_source(session: Session, name: str, lang: str, config: dict) -> int:
    stmt = upsert(session, Source.__table__, ["name"], ["lang", "config", "updated_at"]).values(
        name=name, lang=lang, config=config, updated_at=utcnow())
    session.execute(stmt)
    return session.scalar(select(Source.id).where(Source.name == name))


def store_pages(session: Session, pages: list[FetchedPage], source_id: int | None,
                crawl_run_id: int | None) -> list[int]:
    """Store pages not stored before (by URL); returns the ids of the new rows.

    zlib level 1: HTML still shrinks about 4x, at a third of level 6's cost to the crawl.
    """
    if not pages:
        return []
    rows = [dict(url=p.url, final_url=p.final_url, source_id=source_id, crawl_run_id=crawl_run_id,
                 status=p.status, headers=p.headers, body=zlib.compress(p.body, 1),
                 body_size=len(p.body), fetched_at=p.fetched_at) for p in pages]
    stmt = insert_ignoring_conflicts(session, Page.__table__, ["url"]).returning(Page.__table__.c.id)
    return [row[0] for row in session.execute(stmt, rows)]


def body(page: Page) -> bytes:
    return zlib.decompress(page.body)


def known_urls(session: Session, urls: list[str]) -> set[str]:
    """Those of `urls` already stored as pages or as an article's canonical URL."""
    from storage.models import Article

    if not urls:
        return set()
    found = set(session.scalars(select(Page.url).where(Page.url.in_(urls))))
    found |= set(session.scalars(select(Article.canonical_url).where(Article.canonical_url.in_(urls))))
    return found


def count_pending(session: Session, version: str) -> int:
    """Pages an older extractor version read: what `reprocess` would redo."""
    return session.scalar(select(func.count(Page.id)).where(
        Page.processed_version.is_not(None), Page.processed_version != version))


def mark_page(session: Session, page_id: int, outcome: Outcome, version: str,
              article_id: int | None = None, detail: str | None = None) -> None:
    session.execute(update(Page).where(Page.id == page_id).values(
        outcome=outcome, processed_version=version, article_id=article_id, outcome_detail=detail))


def validators(session: Session, url: str) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) last seen for a feed or sitemap."""
    st = session.get(FetchState, url)
    return (st.etag, st.last_modified) if st else (None, None)


def save_validators(session: Session, url: str, etag: str | None, last_modified: str | None) -> None:
    session.execute(upsert(session, FetchState.__table__, ["url"],
                           ["etag", "last_modified", "checked_at"]).values(
        url=url, etag=etag, last_modified=last_modified, checked_at=utcnow()))
