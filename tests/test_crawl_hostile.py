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
                     env={"COMPUTEWATCH_CRAWL_TIME_LIMIT": "240", **env})
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


# --- B. issue 13 item 8 -------------------------------------------------------------------------
def test_no_request_reaches_another_host_through_links_or_redirects(tmp_path):
    root, other_root = tmp_path / "site", tmp_path / "other"
    paths = articles(root, 2)
    articles(other_root, 1)
    (other_root / "secret.html").write_text(ARTICLE.format(t="Secret", n=99))
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(other_root, host="127.0.0.2") as other, LocalSite(root) as site:
        (root / "list").mkdir()
        (root / "list" / "index.html").write_text(
            "".join(f'<a href="{p}">a</a>' for p in paths)
            + '<a href="/news/moved.html">moved</a>'
            + f'<a href="{other.base_url}/news/0.html">elsewhere</a>')
        (root / "_routes.toml").write_text(
            f'["/news/moved.html"]\nredirect = "{other.base_url}/secret.html"\nstatus = 302\n'
            f'["/away/"]\nredirect = "{other.base_url}/news/"\n')
        site.reload_routes()
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], sitemaps=[],
                                  start_urls=[f"{site.base_url}/list/", f"{site.base_url}/away/"])
        result = crawl(sources, db)
        assert result.returncode == 0, result.stderr
        assert other.requests == []
        assert {p for p in site.requests if p.startswith("/news/")} == {*paths, "/news/moved.html"}
    status, pages, summary = last_run(db)
    assert (status, pages) == ("ok", 2)
    assert summary["skipped"].get("offsite_redirect") == 2


# --- D. issue 13 item 15 ------------------------------------------------------------------------
def test_decompression_bombs_and_endless_bodies_are_too_large_for_good(tmp_path):
    root = tmp_path / "site"
    paths = articles(root, 2)
    (root / "bomb.gz").write_bytes(gzip.compress(b"<p>" + b"0" * 50_000_000, 9))   # 50 MB in ~50 kB
    (root / "_routes.toml").write_text(
        '["/feed.xml"]\netag = true\n'
        '["/news/bomb.html"]\nfile = "bomb.gz"\ncontent_type = "text/html"\n'
        'headers = { "Content-Encoding" = "gzip" }\n'
        '["/news/endless.html"]\ngenerate_bytes = 1000000000000\ncontent_length = false\n')
    links = [*paths, "/news/bomb.html", "/news/endless.html"]
    (root / "feed.xml").write_text(RSS.format("".join(ITEM.format("{base}" + l) for l in links)))
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(root) as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[f"{site.base_url}/feed.xml"],
                                  sitemaps=[], start_urls=[])
        assert crawl(sources, db).returncode == 0
        status, pages, summary = last_run(db)
        assert (status, pages) == ("ok", 2)
        assert summary["errors"] == {"too_large": 2}
        # Permanent: the feed's ETag is kept, the next run fetches neither again.
        site.reset_requests()
        assert crawl(sources, db).returncode == 0
        assert [p for p in site.requests if p.startswith("/news/")] == []


def test_the_local_server_answers_400_to_a_nul_in_the_path(tmp_path):
    import urllib.error
    import urllib.request

    articles(tmp_path, 1)
    with LocalSite(tmp_path) as site:
        try:
            urllib.request.urlopen(site.url("/%00"), timeout=5)
            raise AssertionError("no error status")
        except urllib.error.HTTPError as e:
            assert e.code == 400
        assert urllib.request.urlopen(site.url("/news/0.html"), timeout=5).status == 200


# --- C. issue 13 item 7 -------------------------------------------------------------------------
def test_a_sitemap_index_fanning_out_300_per_level_is_bounded_per_run(tmp_path):
    root = tmp_path / "site"
    paths = articles(root, 2)
    (root / "maps").mkdir()
    (root / "index.xml").write_text(INDEX.format("".join(
        f"<sitemap><loc>{{base}}/maps/{i}.xml</loc></sitemap>" for i in range(300))))
    for i in range(300):       # every child is an index of 300 more (which do not exist)
        (root / "maps" / f"{i}.xml").write_text(INDEX.format("".join(
            f"<sitemap><loc>{{base}}/deep/{i}-{j}.xml</loc></sitemap>" for j in range(300))))
    (root / "maps" / "0.xml").write_text(URLSET.format(
        "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in paths)))
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(root) as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], start_urls=[],
                                  sitemaps=[f"{site.base_url}/index.xml"])
        result = crawl(sources, db, COMPUTEWATCH_MAX_SITEMAPS="40")
        assert result.returncode == 0, result.stderr
        xml = [p for p in site.requests if p.endswith(".xml")]
        assert len(xml) == 40 and "/maps/0.xml" in xml
    status, pages, summary = last_run(db)
    assert (status, pages) == ("ok", 2)
    assert summary["errors"] == {"sitemap_limit": 1}
    assert summary["skipped"]["sitemap_limit"] >= 300 - 39


# --- E. issue 11: the spider never opens a database session on the reactor thread ---------------
WATCH = r'''
import sys, threading, traceback
import storage.db
original = storage.db.Database.session
seen = []

def session(self, *args, **kwargs):
    files = [f.filename for f in traceback.extract_stack()]
    if threading.current_thread() is threading.main_thread() and any(
            f.endswith(("crawler/spider.py", "crawler/known.py")) for f in files):
        seen.append(next(f"{f.filename.rsplit('/', 1)[-1]}:{f.name}" for f in reversed(traceback.extract_stack())
                         if f.filename.endswith(("crawler/spider.py", "crawler/known.py"))))
    return original(self, *args, **kwargs)

storage.db.Database.session = session
from computewatch.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print("REACTOR-THREAD-SESSIONS", sorted(set(seen)), "EXIT", code)
'''


def test_known_url_checks_and_validators_leave_the_reactor_thread(tmp_path):
    import subprocess
    import sys

    from crawl_helpers import FIXTURE, ROOT, cli_env
    from crawler.items import FetchedPage
    import storage.pages

    assert storage.pages.FetchedPage is FetchedPage       # the hand-off type lives in crawler/
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(FIXTURE) as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url)
        for _ in range(2):        # the second run finds known URLs and saved validators
            out = subprocess.run([sys.executable, "-c", WATCH, "crawl", "--sources", str(sources),
                                  "--db", db], capture_output=True, text=True, cwd=ROOT,
                                 env=cli_env({"COMPUTEWATCH_CRAWL_TIME_LIMIT": "240"}), timeout=420)
            assert "REACTOR-THREAD-SESSIONS [] EXIT 0" in out.stdout, out.stdout + out.stderr
    assert query(db, "SELECT COUNT(*) FROM fetch_state")[0][0] >= 1
