"""The web app under test: a database filled by a real crawl of the sample site (plus a hostile
article), and `computewatch serve` started on it as a user starts it, on a free local port."""
from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from crawl_helpers import ROOT, cli_env, fixture_sources, run_cli

SAMPLE = ROOT / "computewatch" / "sample_site"
HOSTILE_TITLE = "<script>alert('title')</script> Meta orders more GPUs"
HOSTILE_HTML = """<html lang="en"><head><title>&lt;script&gt;alert('title')&lt;/script&gt; Meta orders more GPUs</title>
<meta name="date" content="2026-03-20"></head><body><article>
<h1>&lt;script&gt;alert('title')&lt;/script&gt; Meta orders more GPUs</h1>
<p>Meta will buy 50,000 Nvidia H200 GPUs for its AI data centers &lt;script&gt;alert('x')&lt;/script&gt; this year, the company said.</p>
<p>The order is part of a larger AI infrastructure and data center capex plan, with new clusters for training
large models and more power capacity for its GPU fleet. [/] [bold]not markup[/bold]</p>
</article></body></html>"""


def fill(url: str, tmp) -> None:
    """Crawl the sample site into `url`, then store and process one hostile page."""
    from computewatch.localsite import LocalSite

    with LocalSite(SAMPLE) as site:
        sources = fixture_sources(tmp / "sources.toml", site.base_url, name="ledger",
                                  feeds=[f"{site.base_url}/feed.xml"], sitemaps=[f"{site.base_url}/sitemap.xml"],
                                  start_urls=[f"{site.base_url}/"], allow=["/news/"])
        result = run_cli("crawl", "--sources", str(sources), "--db", url)
    assert result.returncode == 0, result.stderr
    page = tmp / "hostile.html"
    page.write_text(HOSTILE_HTML, "utf-8")
    _store_and_process(url, page)


def _store_and_process(url: str, page) -> None:
    """The page through the same storage and processing steps a crawl uses."""
    code = (
        "import sys; from storage.db import open_database; from storage.pages import FetchedPage, store_pages;"
        "from computewatch.worker import Worker; from nlp import EXTRACTOR_VERSION;"
        "db = open_database(sys.argv[1]); body = open(sys.argv[2], 'rb').read();"
        "s = db.session(); ctx = s.__enter__();"
        "ids = store_pages(ctx, [FetchedPage('https://hostile.example/news/1.html', 'https://hostile.example/news/1.html', 200,"
        " {'Content-Type': 'text/html; charset=utf-8'}, body)], None, None); s.__exit__(None, None, None);"
        "Worker(db, EXTRACTOR_VERSION).run(finish=lambda: True)")
    r = subprocess.run([sys.executable, "-c", code, url, str(page)], cwd=ROOT, env=cli_env(),
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db_url: str, *extra: str):
    """`computewatch serve --db URL` on a free port: yields its base URL and the process."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "computewatch.cli", "serve", "--db", db_url,
                             "--port", str(port), *extra], cwd=ROOT, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/index.json", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start: {proc.communicate()[1]}") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8")


def get_json(url: str) -> dict:
    status, ctype, body = get(url)
    assert status == 200 and ctype.startswith("application/json"), (url, status, body[:300])
    return json.loads(body)
