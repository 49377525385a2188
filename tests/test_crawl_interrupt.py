"""A crawl stopped by SIGTERM or Ctrl-C keeps what it stored, half-stores nothing, and the next
crawl finishes the job without duplicating anything."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, cli_env, fixture_sources, query, run_cli

ARTICLES = 24
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1>
<p>{org} plans to spend ${money} billion on AI data centers this year, the company said.</p>
<p>The company expects to deploy about {chips},000 Nvidia H100 GPUs in a new cluster.</p>
<p>Analysts said the spending reflects a race to secure computing capacity for training models.</p>
</article></body></html>"""


def slow_site(root, n: int = ARTICLES, delay: float = 0.4):
    (root / "news").mkdir(parents=True)
    orgs = ["Microsoft", "Meta", "Google", "Amazon", "Oracle", "xAI"]
    locs = []
    for i in range(n):
        org = orgs[i % len(orgs)]
        (root / "news" / f"{i:03d}.html").write_text(PAGE.format(
            title=f"{org} expands its AI data centers, part {i}", org=org, money=10 + i,
            chips=100 + i), "utf-8")
        locs.append(f"/news/{i:03d}.html")
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in locs) + "</urlset>", "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "_routes.toml").write_text("".join(
        f'["{p}"]\ndelay = {delay}\n\n' for p in locs if delay), "utf-8")


def test_sigterm_mid_crawl_keeps_whole_articles_and_the_next_crawl_completes(tmp_path):
    slow_site(tmp_path / "site")
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], start_urls=[],
                                  sitemaps=[f"{site.base_url}/sitemap.xml"])
        env = cli_env({"COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "1"})
        proc = subprocess.Popen([sys.executable, "-m", "computewatch.cli", "crawl", "--sources",
                                 str(sources), "--db", db], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(p.startswith("/news/") for p in site.requests) < 6:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err

        status, pages = query(db, "SELECT status, pages FROM crawl_runs")[0]
        assert status == "interrupted"
        assert 0 < pages < ARTICLES
        # No half-stored article: an article has its claims (two per page here), a page is
        # either extracted completely or not at all.
        for aid, n in query(db, """SELECT a.id, COUNT(c.id) FROM articles a
                                   LEFT JOIN claims c ON c.article_id = a.id GROUP BY a.id"""):
            assert n == 2, (aid, n)
        assert query(db, "SELECT COUNT(*) FROM pages WHERE outcome = 'article' AND article_id IS NULL") == [(0,)]

        again = run_cli("crawl", "--sources", str(sources), "--db", db)
        assert again.returncode == 0, again.stderr
    assert query(db, "SELECT COUNT(*) FROM pages") == [(ARTICLES,)]
    assert query(db, "SELECT COUNT(*) FROM articles WHERE relevant = 1") == [(ARTICLES,)]
    assert query(db, "SELECT COUNT(*) FROM claims") == [(2 * ARTICLES,)]
    assert query(db, "SELECT COUNT(*) FROM pages WHERE processed_version IS NULL") == [(0,)]
    assert [s for (s,) in query(db, "SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "ok"]


def test_sigterm_while_the_crawl_processes_its_pages_is_an_interruption_not_a_time_out(tmp_path):
    # Fetching ends in a second or two (no delays); processing 300 pages takes longer: the
    # signal comes once the spider closed its run, while the crawl drains its worker.
    n = 300
    slow_site(tmp_path / "site", n, delay=0)
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(tmp_path / "site") as site:
        sources = fixture_sources(tmp_path / "s.toml", site.base_url, feeds=[], start_urls=[],
                                  sitemaps=[f"{site.base_url}/sitemap.xml"])
        env = cli_env({"COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "16"})
        proc = subprocess.Popen([sys.executable, "-m", "computewatch.cli", "crawl", "--sources",
                                 str(sources), "--db", db], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        closed = []
        while time.monotonic() < deadline and proc.poll() is None and not closed:
            try:
                closed = query(db, "SELECT 1 FROM crawl_runs WHERE status = 'ok'")
            except sa.exc.OperationalError:        # the schema is not there yet
                pass
            time.sleep(0.05)
        processed = query(db, "SELECT COUNT(*) FROM pages WHERE processed_version IS NOT NULL")[0][0]
        assert closed and proc.poll() is None and processed < n, (closed, processed)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "time limit" not in err and "Traceback" not in err
    status, message = query(db, "SELECT status, message FROM crawl_runs")[0]
    assert status == "interrupted" and "stopped by SIGTERM while processing pages" in message
