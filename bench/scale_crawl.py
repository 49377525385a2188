#!/usr/bin/env python3
"""Crawler half of the scale benchmark (issue 11): one vs two crawler processes sharing a Redis
frontier (`frontier = "redis://..."`) on a local site whose pages each take 50 ms to answer.

A site of N article pages listed by one sitemap is served on 127.0.0.1; each page answers after
`--latency` seconds, so one process is bound by its requests in flight, not by the CPU. Runs:

  crawlers1  one `computewatch crawl` with the frontier in Redis
  crawlers2  two at once on the same source and database, splitting the URLs through Redis

Figures: article pages per second, timed from the first article request to the last as the
server saw them (start-up excluded, the same clock for both); crawl_speedup = crawlers2 /
crawlers1; duplicate_fetches = article URLs the server was asked for more than once (goal 0).
Without --redis a redis-server is started on a free port for the run (Debian's, on PATH).

`crawl_scale()` is the function bench/scale_bench.py calls; run alone this prints
    crawlers1=.. crawlers2=.. crawl_speedup=.. duplicate_fetches=0

usage: bench/scale_crawl.py [--pages 1500] [--latency 0.05] [--concurrency 4] [--redis URL]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = """<html><head><meta charset="utf-8"><title>Story {i}</title></head><body><article>
<h1>Story {i}</h1><p>The town council met on Tuesday to discuss the new library, story {i}.</p>
<p>Residents asked about opening hours and parking; a decision is expected next month.</p>
</article></body></html>"""
URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '{}</urlset>')


def build_site(root: Path, pages: int, latency: float) -> None:
    (root / "news").mkdir(parents=True)
    for i in range(pages):
        (root / "news" / f"{i}.html").write_text(PAGE.format(i=i))
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "sitemap.xml").write_text(URLSET.format(
        "".join(f"<url><loc>{{base}}/news/{i}.html</loc></url>" for i in range(pages))))
    (root / "_routes.toml").write_text("".join(f'["/news/{i}.html"]\ndelay = {latency}\n'
                                               for i in range(pages)))


@contextlib.contextmanager
def redis_server():
    """A throw-away redis-server on a free 127.0.0.1 port; its URL."""
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("scale_crawl: redis-server not found (apt-get install redis-server, or --redis URL)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="computewatch-bench-redis.")
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", workdir,
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def crawl_env(frontier: str, concurrency: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update({"COMPUTEWATCH_CONFIG": os.devnull, "COMPUTEWATCH_FRONTIER": frontier,
                "COMPUTEWATCH_DOWNLOAD_DELAY": "0", "COMPUTEWATCH_AUTOTHROTTLE": "false",
                "COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": str(concurrency),
                "COMPUTEWATCH_FETCH_TIMEOUT": "10", "COMPUTEWATCH_CRAWL_TIME_LIMIT": "600",
                "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""})
    return env


def one_run(site, workdir: Path, processes: int, frontier: str, concurrency: int) -> tuple[float, int]:
    """(article pages per second as the server saw them, duplicate fetches) of `processes`
    crawlers started together on a fresh source and database."""
    name = f"bench-{uuid.uuid4().hex[:8]}"          # fresh Redis keys
    sources = workdir / f"{name}.toml"
    sources.write_text(f'include_defaults = false\n\n[[source]]\nname = "{name}"\nlang = "en"\n'
                       f'sitemaps = ["{site.base_url}/sitemap.xml"]\ninterval = "1h"\n')
    db = f"sqlite:///{workdir / (name + '.db')}"
    site.reset_requests()
    cmd = [sys.executable, "-m", "computewatch.cli", "crawl", "--sources", str(sources), "--db", db]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(frontier, concurrency),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
    for p in procs:
        _, err = p.communicate(timeout=900)
        if p.returncode != 0:
            sys.exit(f"scale_crawl: a crawl failed (exit {p.returncode}): {err.strip()[-300:]}")
    times = [r.time for r in site.request_log if r.path.startswith("/news/")]
    counts = Counter(r.path for r in site.request_log if r.path.startswith("/news/"))
    span = max(times) - min(times)
    return len(counts) / span, sum(n - 1 for n in counts.values())


def crawl_scale(pages: int = 1500, latency: float = 0.05, concurrency: int = 4,
                redis_url: str | None = None) -> dict:
    """One vs two crawler processes sharing a Redis frontier: the figures as a dict."""
    from computewatch.localsite import LocalSite

    with contextlib.ExitStack() as stack:
        url = redis_url or stack.enter_context(redis_server())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cw-scale-crawl.")))
        build_site(workdir / "site", pages, latency)
        site = stack.enter_context(LocalSite(workdir / "site"))
        one, dup1 = one_run(site, workdir, 1, url, concurrency)
        two, dup2 = one_run(site, workdir, 2, url, concurrency)
    return {"crawlers1": round(one, 1), "crawlers2": round(two, 1),
            "crawl_speedup": round(two / one, 2), "duplicate_fetches": dup1 + dup2}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1500)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds each page takes to answer")
    ap.add_argument("--concurrency", type=int, default=4, help="requests in flight per process")
    ap.add_argument("--redis", help="a Redis URL to use instead of starting redis-server")
    args = ap.parse_args()
    f = crawl_scale(args.pages, args.latency, args.concurrency, args.redis)
    print(f"pages={args.pages} latency={args.latency:g}s concurrency={args.concurrency} per process "
          "(article pages per second, server clock)")
    print(" ".join(f"{k}={v}" for k, v in f.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
