"""A crawl frontier shared through Redis (issue 11, `frontier` setting): two crawler processes
crawling the same source split its URLs and fetch each once. Needs the Redis server that
`make test` starts (scripts/with-services.sh: COMPUTEWATCH_TEST_REDIS_URL); skipped without."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, cli_env, fixture_sources, query, run_cli

REDIS_URL = os.environ.get("COMPUTEWATCH_TEST_REDIS_URL")
PAGE = """<html><head><meta charset="utf-8"><title>Story {i}</title></head><body><article>
<h1>Story {i}</h1><p>The town council met on Tuesday to discuss the new library, story {i}.</p>
</article></body></html>"""
URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '{}</urlset>')


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI run without COMPUTEWATCH_TEST_REDIS_URL: run the tests through `make test`")
        pytest.skip("no Redis: run through `make test` (scripts/with-services.sh starts one)")
    return REDIS_URL


def many_pages(root, n, delay=0.0):
    """A site of n article pages listed by one sitemap, each answering after `delay` s."""
    (root / "news").mkdir(parents=True)
    for i in range(n):
        (root / "news" / f"{i}.html").write_text(PAGE.format(i=i))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "sitemap.xml").write_text(URLSET.format(
        "".join(f"<url><loc>{{base}}/news/{i}.html</loc></url>" for i in range(n))))
    if delay:
        (root / "_routes.toml").write_text("".join(
            f'["/news/{i}.html"]\ndelay = {delay}\n' for i in range(n)))
    return [f"/news/{i}.html" for i in range(n)]


def crawl_together(n_processes, sources, db, frontier, concurrency=4, time_limit=300):
    """`computewatch crawl` n times at once on one source and database; the processes."""
    env = cli_env({"COMPUTEWATCH_FRONTIER": frontier, "COMPUTEWATCH_CRAWL_TIME_LIMIT": str(time_limit),
                   "COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": str(concurrency)})
    procs = [subprocess.Popen([sys.executable, "-m", "computewatch.cli", "crawl", "--sources",
                               str(sources), "--db", db], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(n_processes)]
    outs = [p.communicate(timeout=time_limit + 120) for p in procs]
    return [(p.returncode, err) for p, (_, err) in zip(procs, outs)]


def test_two_crawlers_sharing_a_redis_frontier_fetch_every_url_once(tmp_path, redis_url):
    paths = many_pages(tmp_path / "site", 1000, delay=0.05)
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, name=f"shared-{uuid.uuid4().hex[:8]}",
                                  feeds=[], start_urls=[], sitemaps=[f"{site.base_url}/sitemap.xml"])
        results = crawl_together(2, sources, db, redis_url)
        for code, err in results:
            assert code == 0 and "Traceback" not in err, err
        fetched = Counter(p for p in site.requests if p.startswith("/news/"))
    assert sorted(fetched) == sorted(paths)
    assert set(fetched.values()) == {1}                        # every URL fetched exactly once
    runs = query(db, "SELECT status, pages FROM crawl_runs")
    assert [s for s, _ in runs] == ["ok", "ok"]
    assert sum(p for _, p in runs) == 1000 and all(p > 0 for _, p in runs)   # the work was split
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT url) FROM pages") == [(1000, 1000)]


def test_an_unreachable_or_malformed_frontier_is_refused_in_one_line(tmp_path):
    sources = fixture_sources(tmp_path / "s.toml", "http://127.0.0.1:9")
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    for frontier, said in [("redis://127.0.0.1:1/0", "cannot reach Redis"),
                           ("http://127.0.0.1:6379", "not a redis:// URL")]:
        result = run_cli("crawl", "--sources", str(sources), "--db", db,
                         env={"COMPUTEWATCH_FRONTIER": frontier})
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0] and "Traceback" not in result.stderr, result.stderr
