"""Stored page -> article + claims in the database: the step after the crawl, and `reprocess`.

It runs in its own process during a crawl (spaCy and jieba are CPU-bound: in Scrapy's reactor
they would throttle the crawl), reading page ids from a queue; `reprocess` runs the same code
over stored pages with no network at all. Each page is one transaction: an article is stored
with all its claims or not at all.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Processed:
    page_id: int
    source_id: int | None
    outcome: str              # article | irrelevant | duplicate | not_article | error
    new_article: bool = False
    claims: int = 0


def process_page(database, page_id: int, version: str) -> Processed:
    """Read one stored page, extract it, store the result.

    The extraction runs between two short transactions, never inside one: on SQLite a writing
    transaction holds the database's write lock, and the crawler must keep storing pages.
    """
    from nlp import topic
    from nlp.article import NotAnArticle
    from nlp.pipeline import claims_of, read_page
    from storage import articles, pages
    from storage.models import Page

    with database.session(write=True) as s:
        page = s.get(Page, page_id)
        if page is None:
            return Processed(page_id, None, "missing")
        body, final_url, source_id = pages.body(page), page.final_url, page.source_id
        ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), None)
        # Marked first: if this page kills the process, the next crawl sees it was attempted
        # and gives up on it instead of dying on it again (storage.pages.unprocessed_page_ids).
        page.outcome = pages.EXTRACTING
    try:
        art = read_page(body, final_url, ctype, url=final_url)
    except NotAnArticle as e:
        with database.session(write=True) as s:
            articles.save_not_article(s, s.get(Page, page_id), str(e), version)
        return Processed(page_id, source_id, "not_article")
    score = topic.score(art.text, art.lang, art.title)
    claims = [c.to_dict() for c in claims_of(art, final_url)] if score.relevant else []
    canonical_url = _canonical(art, final_url)
    record = articles.ArticleRecord(
        content_hash=art.content_hash, url=_article_url(canonical_url, final_url),
        canonical_url=canonical_url, title=art.title, author=art.author, published=art.published,
        lang=art.lang, encoding=art.encoding, text=art.text, topic_score=round(score.score, 4),
        relevant=score.relevant)
    with database.session(write=True) as s:
        saved = articles.save(s, s.get(Page, page_id), record, claims, version)
    return Processed(page_id, source_id, saved.outcome, saved.new_article, saved.claims)


def _canonical(art, final_url: str) -> str | None:
    from crawler.urls import canonical

    return canonical(art.canonical_url) if art.canonical_url else canonical(final_url)


def _article_url(canonical_url: str | None, final_url: str) -> str:
    """The address to cite: the page's rel=canonical when it stays on the same site."""
    from urllib.parse import urlsplit

    if canonical_url and urlsplit(canonical_url).netloc == urlsplit(final_url).netloc:
        return canonical_url
    return final_url


def process_safely(database, page_id: int, version: str) -> Processed:
    """process_page, but a page that breaks the extractor is recorded, not fatal."""
    from storage import pages

    try:
        return process_page(database, page_id, version)
    except Exception as e:       # one bad page must not stop the batch
        log.exception("page %s: extraction failed", page_id)
        with database.session(write=True) as s:
            pages.mark_page(s, page_id, "error", version, None, detail=f"{type(e).__name__}: {e}"[:500])
        return Processed(page_id, None, "error")


# --- the worker process that runs beside a crawl ---------------------------------------------------

def worker_main(db_url: str, jobs, results, stop) -> None:
    """Process batches of page ids from `jobs` until None arrives, or `stop` is set (then after
    the page in hand)."""
    # Signals are the crawl's business: it tells us to stop through `stop`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.nice(19)                # the crawl comes first: extraction catches up when it idles
    except OSError:
        pass
    from nlp import EXTRACTOR_VERSION
    from storage.db import open_database

    database = open_database(db_url, migrate=False)
    parent = mp.parent_process()
    while not stop.is_set():
        try:
            batch = jobs.get(timeout=0.5)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                break
            continue
        if batch is None:
            break
        for page_id in batch:
            if stop.is_set():
                break
            results.put(process_safely(database, page_id, EXTRACTOR_VERSION))
    database.dispose()


class ExtractionWorker:
    """The extraction process seen from the crawl: submit page ids, collect what they gave."""

    def __init__(self, db_url: str):
        ctx = mp.get_context("spawn")     # a clean interpreter: no Twisted reactor inherited
        self.jobs = ctx.Queue()
        self.results = ctx.Queue()
        self.stop_flag = ctx.Event()
        self.process = ctx.Process(target=worker_main, name="computewatch-extract",
                                   args=(db_url, self.jobs, self.results, self.stop_flag), daemon=True)
        self.submitted = 0
        self.done = 0

    def start(self) -> None:
        self.process.start()

    def submit(self, page_ids) -> None:
        """Queue pages for extraction: one message per batch keeps the crawl's cost per page low."""
        page_ids = list(page_ids)
        if page_ids:
            self.jobs.put(page_ids)
            self.submitted += len(page_ids)

    def collect(self) -> list[Processed]:
        out = []
        while True:
            try:
                out.append(self.results.get_nowait())
            except queue.Empty:
                break
        self.done += len(out)
        return out

    @property
    def pending(self) -> int:
        return self.submitted - self.done

    def finish(self, stop_now: bool = False) -> None:
        """No more pages: drain the queue (or just finish the current page if `stop_now`)."""
        if stop_now:
            self.stop_flag.set()
        self.jobs.put(None)

    def alive(self) -> bool:
        return self.process.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()          # it ignores SIGTERM (signals are the crawl's business)
            self.process.join(5)
