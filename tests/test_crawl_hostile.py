"""Hostile sites (issue 13): unusable links in a feed, off-site redirects, sitemap fan-out,
decompression bombs and endless bodies. Real crawls of local sites on 127.0.0.x."""
from __future__ import annotations

import gzip
import json

from computewatch.localsite import LocalSite
from crawl_helpers import fixture_sources, query, run_cli

ARTICLE = """<html><head><meta charset="utf-8"><title>{t}</title></head><body><article><h1>{t}</h1>
<p>Oracle plans to spend ${n} billion on AI data centers with Nvidia GPUs this year.</p>
<p>The cluster will hold about {n},000 H100 GPUs, the company said.</p></article></body></html>"""
RSS = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{}</channel></rss>')
ITEM = "<item><title>x</title><link>{}</link></item>"
URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '{}</urlset>')
INDEX = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         '{}</sitemapindex>')


def articles(root, n, folder="news"):
    (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / folder / f"{i}.html").write_text(ARTICLE.format(t=f"Oracle builds, part {i}", n=10 + i))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return [f"/{folder}/{i}.html" for i in range(n)]


def last_run(db):
    status, pages, raw = query(db, "SELECT status, pages, error_summary FROM crawl_runs "
                                   "ORDER BY id DESC")[0]
    return status, pages, raw if isinstance(raw, dict) else json.loads(raw)


def crawl(sources, db, **env):
    result = run_cli("crawl", "--sources", str(sources), "--db", db,
                     env={"COMPUTEWATCH_CRAWL_TIME_LIMIT": "60", **env})
    assert "Traceback" not in result.stderr, result.stderr
    return result


# --- A. issue 13 item 2 -------------------------------------------------------------------------
def test_feed_items_with_unusable_urls_are_counted_and_skipped_and_the_rest_fetched(tmp_path):
    root = tmp_path / "site"
    paths = articles(root, 4)
    bad = ["http://127.0.0.1:99999/news/x.html", "http://127.0.0.1:abc/news/y.html",
           "http://[::1/news/z.html"]
    links = ["{base}" + paths[0], *bad, *("{base}" + p for p in paths[1:])]
    (root / "feed.xml").write_text(RSS.format("".join(ITEM.format(l) for l in links)))
    (root / "_routes.toml").write_text('["/feed.xml"]\netag = true\n')
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(root) as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[f"{site.base_url}/feed.xml"],
                                  sitemaps=[], start_urls=[])
        first = crawl(sources, db)
        assert first.returncode == 0, first.stderr
        status, pages, summary = last_run(db)
        assert (status, pages) == ("ok", 4)
        assert summary["errors"] == {"bad_url": 3}
        # Every other link was dealt with, so the feed's ETag was saved: the next run gets a 304.
        site.reset_requests()
        assert crawl(sources, db).returncode == 0
        assert last_run(db)[2]["not_modified"] == 1
        assert [p for p in site.requests if p.startswith("/news/")] == []
