"""Synthetic stored pages for the queue tests and the scale benchmark: distinct on-topic articles
stored through the storage functions, as the crawler would store them."""
from __future__ import annotations

PARAGRAPHS = [
    "Company {i} will spend ${b} billion on a new AI data center with {g} Nvidia H100 GPUs, the "
    "company said on Monday, as demand for compute keeps rising across the cloud industry.",
    "The site in region {i} will draw {mw} megawatts of power when it opens, making it one of the "
    "largest GPU clusters built this year, according to people familiar with the plan.",
    "Analysts said the capital expenditure reflects a race among hyperscalers to secure "
    "accelerators and electricity for training and inference of large language models.",
    "The company did not say which contractor would build the facility, nor when the first "
    "servers would be installed, but said construction starts next quarter.",
]


def article_html(i: int) -> bytes:
    title = f"Company {i} plans an AI data center with {1000 + i} GPUs"
    body = "".join(f"<p>{p.format(i=i, b=i % 90 + 2, g=1000 + i, mw=100 + i % 400)}</p>"
                   for p in PARAGRAPHS)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><article>"
            f"<h1>{title}</h1><p>By Test Writer, 2026-01-{i % 28 + 1:02d}</p>{body}</article>"
            f"</body></html>").encode()


def store_synthetic_pages(url: str, n: int, source: str = "synthetic", start: int = 0) -> list[int]:
    """n distinct article pages of `source`, never processed; their ids."""
    from storage import pages
    from storage.db import open_database

    database = open_database(url)
    try:
        with database.session(write=True) as s:
            sid = pages.ensure_source(s, source, "en", {})
            batch = [pages.FetchedPage(url=f"http://example.test/{source}/{i}.html",
                                       final_url=f"http://example.test/{source}/{i}.html",
                                       status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                                       body=article_html(i)) for i in range(start, start + n)]
            return pages.store_pages(s, batch, sid, None)
    finally:
        database.dispose()
