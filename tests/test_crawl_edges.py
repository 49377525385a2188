"""Crawl edge cases that would hurt an unattended daemon: sitemap loops, feeds answering 304
while links are still owed, entry points that are not what they claim, the time limit."""
from __future__ import annotations

import json

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, fixture_sources, query, run_cli

SAMPLE = ROOT / "computewatch" / "sample_site"
ARTICLE = """<html><head><meta charset="utf-8"><title>{t}</title></head><body><article><h1>{t}</h1>
<p>Oracle plans to spend ${n} billion on AI data centers with Nvidia GPUs this year.</p>
<p>The cluster will hold about {n},000 H100 GPUs, the company said.</p></article></body></html>"""
URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '{}</urlset>')
INDEX = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         '{}</sitemapindex>')


def small_site(root, n=3):
    (root / "news").mkdir(parents=True)
    for i in range(n):
        (root / "news" / f"{i}.html").write_text(ARTICLE.format(t=f"Oracle builds, part {i}", n=10 + i))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return [f"/news/{i}.html" for i in range(n)]


def summary_of(db):
    raw = query(db, "SELECT error_summary FROM crawl_runs ORDER BY id DESC")[0][0]
    return raw if isinstance(raw, dict) else json.loads(raw)


def test_a_sitemap_index_listing_itself_does_not_loop(tmp_path):
    paths = small_site(tmp_path / "site")
    (tmp_path / "site" / "index.xml").write_text(INDEX.format(
        "<sitemap><loc>{base}/index.xml</loc></sitemap><sitemap><loc>{base}/other.xml</loc></sitemap>"))
    (tmp_path / "site" / "other.xml").write_text(INDEX.format(
        "<sitemap><loc>{base}/index.xml</loc></sitemap><sitemap><loc>{base}/urls.xml</loc></sitemap>"))
    (tmp_path / "site" / "urls.xml").write_text(URLSET.format(
        "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in paths)))
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], start_urls=[],
                                  sitemaps=[f"{site.base_url}/index.xml"])
        result = run_cli("crawl", "--sources", str(sources), "--db", db,
                         env={"COMPUTEWATCH_CRAWL_TIME_LIMIT": "60"})
        assert result.returncode == 0, result.stderr
        assert site.requests.count("/index.xml") == 1 and site.requests.count("/other.xml") == 1
    assert query(db, "SELECT status, pages FROM crawl_runs") == [("ok", 3)]


def test_links_left_by_max_pages_are_fetched_by_the_next_run_despite_the_feed_etag(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(SAMPLE) as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, name="ledger",
                                  feeds=[f"{site.base_url}/feed.xml"], sitemaps=[], start_urls=[])
        first = run_cli("crawl", "--sources", str(sources), "--db", db, "--max-pages", "2")
        assert first.returncode == 0, first.stderr
        assert query(db, "SELECT COUNT(*) FROM pages") == [(2,)]
        second = run_cli("crawl", "--sources", str(sources), "--db", db)
        assert second.returncode == 0, second.stderr
        feed_items = 4
        assert query(db, "SELECT COUNT(*) FROM pages") == [(feed_items,)]
        # Now every link was dealt with: the third run is answered 304 and fetches nothing.
        site.reset_requests()
        assert run_cli("crawl", "--sources", str(sources), "--db", db).returncode == 0
        assert [p for p in site.requests if p.startswith("/news/")] == []
        assert summary_of(db)["not_modified"] == 1


def test_entry_points_that_are_not_feeds_or_sitemaps_are_errors(tmp_path):
    small_site(tmp_path / "site")
    (tmp_path / "site" / "page.html").write_text("<html><body><p>not a feed</p></body></html>")
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, start_urls=[],
                                  feeds=[f"{site.base_url}/page.html"],
                                  sitemaps=[f"{site.base_url}/page.html?as=sitemap"])
        result = run_cli("crawl", "--sources", str(sources), "--db", db)
    assert result.returncode == 0, result.stderr
    assert summary_of(db)["errors"] == {"not_a_feed": 1, "not_a_sitemap": 1}


def test_the_time_limit_ends_a_run_as_timed_out(tmp_path):
    paths = small_site(tmp_path / "site", n=6)
    (tmp_path / "site" / "urls.xml").write_text(URLSET.format(
        "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in paths)))
    (tmp_path / "site" / "_routes.toml").write_text("".join(f'["{p}"]\ndelay = 6\n' for p in paths))
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], start_urls=[],
                                  sitemaps=[f"{site.base_url}/urls.xml"])
        result = run_cli("crawl", "--sources", str(sources), "--db", db,
                         env={"COMPUTEWATCH_CRAWL_TIME_LIMIT": "3",
                              "COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "1"})
    assert result.returncode == 4, result.stderr
    assert "time limit" in result.stderr and "Traceback" not in result.stderr
    status, pages = query(db, "SELECT status, pages FROM crawl_runs")[0]
    assert status == "timed_out" and pages < 6


def test_a_page_that_killed_the_worker_twice_is_given_up_once_is_retried(tmp_path):
    small_site(tmp_path / "site")
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], sitemaps=[],
                                  start_urls=[f"{site.base_url}/news/"], allow=[r"/news/\d"])
        (tmp_path / "site" / "news" / "index.html").write_text(
            "".join(f'<a href="/news/{i}.html">{i}</a>' for i in range(3)))
        assert run_cli("crawl", "--sources", str(sources), "--db", db).returncode == 0
        # What workers that died mid-page leave: the page unprocessed, its attempts counted, its
        # lease run out. Twice: given up; once (a kill, not the page's fault): processed again.
        import sqlalchemy as sa
        engine = sa.create_engine(db)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE pages SET processed_version = NULL, outcome = NULL, "
                                 "attempts = CASE WHEN id = (SELECT MIN(id) FROM pages) THEN 2 ELSE 1 END, "
                                 "lease_owner = 'gone', lease_until = '2000-01-01 00:00:00'"))
        engine.dispose()
        again = run_cli("crawl", "--sources", str(sources), "--db", db)
    assert again.returncode == 0, again.stderr
    assert query(db, "SELECT outcome FROM pages WHERE id = (SELECT MIN(id) FROM pages)") == [("error",)]
    assert query(db, "SELECT COUNT(*) FROM pages WHERE outcome = 'article'") == [(2,)]
    assert query(db, "SELECT COUNT(*) FROM pages WHERE processed_version IS NULL") == [(0,)]
