"""Stored page -> article + claims in the database: the step every worker runs on a leased page.

The language work is nlp.pipeline.process_page (the same function `extract` calls); this module
only reads the page, stores what it gave and keeps the queue's bookkeeping. Each page is one
transaction: an article is stored with all its claims or not at all. The extraction runs between
two short transactions, never inside one: on SQLite a writing transaction holds the database's
write lock, and the crawler must keep storing pages.

Who is at fault decides what happens to a page that fails:
- the page (the extractor raises on it, or a worker died reading it MAX_ATTEMPTS times): it is
  marked `error` with the reason, for this extractor version;
- anything else (the database is away or locked, the worker is stopped or killed): the
  exception reaches the worker, which hands the page back to the queue.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from storage.pages import Outcome

log = logging.getLogger(__name__)

# One page per language of the bundled sample site, read before a worker's first page.
WARM_UP_PAGES = tuple(Path(__file__).parent / "sample_site" / "news" / "2026" / "01" / name
                      for name in ("big-tech-capex-race.html", "bytedance-capex-2026.html"))


@dataclass(slots=True)
class Processed:
    page_id: int
    outcome: Outcome | None          # None: not ours any more (the lease was lost) or gone
    new_article: bool = False
    claims: int = 0


def after_claims(session, article_id: int) -> None:
    """Stages that follow an article's claims, in the same transaction (facts will go here:
    storage.facts.consolidate(session, article_id))."""


def warm_up() -> None:
    """Load the models and lexicons (seconds: spaCy, jieba) by reading the sample pages, so that
    a worker killed meanwhile is not taken for one that died reading the page in hand: its
    attempt would count, and two such kills would give a good page up as `error`."""
    from nlp.pipeline import process_page

    for path in WARM_UP_PAGES:
        try:
            process_page(path.read_bytes(), path.as_uri(), "text/html")
        except Exception as e:       # nothing lost: the first page loads what is missing
            log.warning("warm-up on %s failed: %s", path.name, e)


def process_stored_page(database, page_id: int, version: str, owner: str,
                        lease: float) -> Processed:
    """Process one page leased to `owner`. Raises SQLAlchemyError on a database fault."""
    from nlp.article import NotAnArticle
    from nlp.pipeline import process_page
    from storage import articles, pages, queue
    from storage.models import Page

    with database.session(write=True) as s:
        before = queue.start(s, page_id, owner, lease)
        if before is None:
            return Processed(page_id, None)
        page = s.get(Page, page_id)
        if before >= queue.MAX_ATTEMPTS:
            reason = f"a worker died reading this page {before} times"
            pages.mark_page(s, page_id, Outcome.ERROR, version, None, detail=reason)
            queue.done(s, page_id)
            log.warning("page %s given up: %s", page_id, reason)
            return Processed(page_id, Outcome.ERROR)
        body, final_url = pages.body(page), page.final_url
        ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), None)
    try:
        result = process_page(body, final_url, ctype)
    except NotAnArticle as e:
        with database.session(write=True) as s:
            articles.save_not_article(s, s.get(Page, page_id), str(e), version)
            queue.done(s, page_id)
        return Processed(page_id, Outcome.NOT_ARTICLE)
    except Exception as e:           # the extractor failed on this page: the page's fault
        log.exception("page %s: extraction failed", page_id)
        with database.session(write=True) as s:
            pages.mark_page(s, page_id, Outcome.ERROR, version, None,
                            detail=f"{type(e).__name__}: {e}"[:500])
            queue.done(s, page_id)
        return Processed(page_id, Outcome.ERROR)
    art, score = result.article, result.topic
    canonical_url = _canonical(art, final_url)
    record = articles.ArticleRecord(
        content_hash=art.content_hash, url=_article_url(canonical_url, final_url),
        canonical_url=canonical_url, title=art.title, author=art.author, published=art.published,
        lang=art.lang, encoding=art.encoding, text=art.text, topic_score=round(score.score, 4),
        relevant=score.relevant)
    claims = [c.to_dict() for c in result.claims]
    with database.session(write=True) as s:
        page = s.get(Page, page_id)
        saved = articles.save(s, page, record, claims, version)
        if saved.outcome == Outcome.ARTICLE:
            after_claims(s, saved.article_id)
        if saved.new_article and saved.outcome == Outcome.ARTICLE and page.crawl_run_id:
            from storage import runs
            runs.credit(s, page.crawl_run_id, articles=1, claims=saved.claims)
        queue.done(s, page_id)
    return Processed(page_id, saved.outcome, saved.new_article, saved.claims)


def _canonical(art, final_url: str) -> str | None:
    from crawler.urls import canonical

    return canonical(art.canonical_url) if art.canonical_url else canonical(final_url)


def _article_url(canonical_url: str | None, final_url: str) -> str:
    """The address to cite: the page's rel=canonical when it stays on the same site."""
    from urllib.parse import urlsplit

    if canonical_url and urlsplit(canonical_url).netloc == urlsplit(final_url).netloc:
        return canonical_url
    return final_url
