#!/usr/bin/env python3
"""Crawl throughput: the full pipeline against a bare Scrapy spider on the same local site, one run.

A site of N generated article pages (English and Chinese, realistic length, a sitemap listing
them all) is served on 127.0.0.1. Politeness is off (no delay, no AutoThrottle, 16 requests in
flight per site) for both runs:

  bare      a plain Scrapy spider: sitemap -> fetch every page, keep nothing
  pipeline  `computewatch crawl` into a fresh SQLite file: fetch, store raw pages, extract articles
            and claims in the worker process, wait for extraction to finish

Figures: pages per minute of each, timed from the first request to the last as the server saw
them (the same clock for both, start-up excluded); the pipeline's fetch rate and its end-to-end rate (until every page is extracted); their ratios to bare (goal:
fetch ratio >= 0.7, i.e. extraction does not throttle the crawl); peak resident memory of each
(process tree). Everything is measured in this one run.

usage: bench/crawl_bench.py [--pages 2000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EN_ORGS = ["Microsoft", "Meta", "Google", "Amazon", "Oracle", "xAI", "OpenAI", "CoreWeave"]
ZH_ORGS = ["字节跳动", "阿里巴巴", "腾讯", "百度", "华为", "快手"]
CHIPS = ["H100", "H200", "B200", "GB200", "MI300X"]
EN_FILLER = ("Analysts said the spending reflects a race to secure computing capacity for training "
             "and serving large models. The company did not comment on the timing of the purchases. "
             "Shares rose slightly in early trading as investors weighed the outlook for margins. ")
ZH_FILLER = ("分析人士指出，这一投入反映出各大公司在算力方面的竞争仍在加剧。公司未就具体采购时间置评。"
             "业内人士认为，未来几年数据中心建设仍将保持较快增长。")
PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-{month:02d}-{day:02d}"></head><body>
<nav><a href="/">Home</a> <a href="/tech/">Tech</a> <a href="/markets/">Markets</a></nav>
<article><h1>{title}</h1><p class="byline">By Staff Writer, 2026-{month:02d}-{day:02d}</p>
{paragraphs}</article>
<aside>Related: Apple sold 20 million phones; an airline ordered 50 jets.</aside>
<footer>© 2026 Bench News</footer></body></html>"""


def article(i: int, rng: random.Random) -> tuple[str, str]:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if i % 3 == 2:
        org, chips, money = rng.choice(ZH_ORGS), rng.randint(1, 30), rng.randint(50, 2000)
        title = f"{org}加码AI算力投入（第{i}期）"
        paras = [f"{org}计划今年采购约{chips}万块英伟达{rng.choice(CHIPS)}芯片，用于训练大模型。",
                 f"据知情人士透露，{org}今年的资本开支预计约为{money}亿元人民币，主要投向数据中心。",
                 ZH_FILLER * 3, f"{org}还在建设一座规划容量为{rng.randint(100, 900)}兆瓦的智算中心。", ZH_FILLER * 2]
        lang = "zh"
    else:
        org, chips, money = rng.choice(EN_ORGS), rng.randint(10, 600), rng.randint(5, 120)
        title = f"{org} expands AI data center plans (report {i})"
        paras = [f"{org} plans to spend ${money} billion on AI infrastructure this year, the company said.",
                 EN_FILLER * 2, f"The company expects to deploy about {chips},000 Nvidia {rng.choice(CHIPS)} GPUs.",
                 EN_FILLER * 3, f"A new campus will draw up to {rng.randint(1, 5)} gigawatts of power."]
        lang = "en"
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"/news/{i:05d}.html", PAGE.format(lang=lang, title=title, month=month, day=day, paragraphs=body)


def build_site(root: Path, n: int) -> None:
    rng = random.Random(7)
    (root / "news").mkdir(parents=True, exist_ok=True)
    locs = []
    for i in range(n):
        path, html = article(i, rng)
        (root / path.lstrip("/")).write_text(html, "utf-8")
        locs.append(path)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    urls = "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in locs)
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
    (root / "index.html").write_text("<html><body>bench</body></html>")


BARE = """
import sys, time, scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider
class Bare(SitemapSpider):
    name = "bare"
    sitemap_urls = [sys.argv[1]]
    n = 0
    def parse(self, response):
        Bare.n += 1
settings = dict(ROBOTSTXT_OBEY=True, LOG_LEVEL="ERROR", COOKIES_ENABLED=False, TELNETCONSOLE_ENABLED=False,
                DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS=64,
                CONCURRENT_REQUESTS_PER_DOMAIN=16)
p = CrawlerProcess(settings)
p.crawl(Bare)
t = time.monotonic(); p.start(); print(Bare.n, time.monotonic() - t)
"""


class PeakRSS(threading.Thread):
    """Peak resident memory of a process and its children, sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        import psutil
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        import psutil
        while not self.done.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)


def crawl_span(site) -> float:
    """Seconds from the crawl's first request (robots.txt) to its last, as the server saw them:
    the same clock for both crawlers, without their different start-up costs."""
    times = [r.time for r in site.request_log]
    return max(times) - min(times)


def timed(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, int]:
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch = PeakRSS(proc.pid)
    watch.start()
    out, err = proc.communicate()
    watch.done.set()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), time.monotonic() - t0, watch.peak


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--keep", type=Path, help="build the site and database here and keep them")
    args = ap.parse_args()
    from computewatch.localsite import LocalSite
    import sqlalchemy as sa

    work = args.keep or Path(tempfile.mkdtemp(prefix="cw-crawlbench-"))
    site_dir = work / "site"
    build_site(site_dir, args.pages)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update(COMPUTEWATCH_CONFIG=os.devnull, COMPUTEWATCH_DOWNLOAD_DELAY="0",
               COMPUTEWATCH_AUTOTHROTTLE="false", COMPUTEWATCH_CONCURRENCY_PER_DOMAIN="16",
               TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="")
    with LocalSite(site_dir) as site:
        bare, bare_wall, bare_rss = timed([sys.executable, "-c", BARE, f"{site.base_url}/sitemap.xml"], env)
        if bare.returncode:
            print(bare.stderr, file=sys.stderr)
            return 1
        bare_pages = int(bare.stdout.split()[0])
        bare_seconds = crawl_span(site)
        site.reset_requests()

        db = work / "bench.db"
        for f in work.glob("bench.db*"):
            f.unlink()
        sources = work / "sources.toml"
        sources.write_text(f'include_defaults = false\n[[source]]\nname = "bench"\nlang = "en"\n'
                           f'sitemaps = ["{site.base_url}/sitemap.xml"]\n', "utf-8")
        pipe, pipe_wall, pipe_rss = timed(
            [str(ROOT / ".venv" / "bin" / "computewatch"), "crawl", "--sources", str(sources),
             "--db", f"sqlite:///{db}"], env)
        if pipe.returncode:
            print(pipe.stderr, file=sys.stderr)
            return 1
        fetch_seconds = crawl_span(site)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        pages, = conn.execute(sa.text("SELECT COUNT(*) FROM pages")).one()
        articles, = conn.execute(sa.text("SELECT COUNT(*) FROM articles WHERE relevant")).one()
        claims, = conn.execute(sa.text("SELECT COUNT(*) FROM claims")).one()
    engine.dispose()

    bare_rate = bare_pages / bare_seconds * 60
    fetch_rate = pages / fetch_seconds * 60
    e2e_rate = pages / pipe_wall * 60
    print(f"site: {args.pages} article pages on 127.0.0.1, politeness off, {os.cpu_count()} cores")
    print(f"bare Scrapy spider : {bare_pages} pages in {bare_seconds:.1f} s = {bare_rate:,.0f} pages/min; "
          f"peak RSS {bare_rss / 2**20:.0f} MB")
    print(f"pipeline, fetching : {pages} pages fetched and stored in {fetch_seconds:.1f} s = {fetch_rate:,.0f} pages/min "
          f"(ratio to bare {fetch_rate / bare_rate:.2f}, goal >= 0.7)")
    print(f"pipeline, end to end: {pipe_wall:.1f} s wall (incl. start-up and extraction) = {e2e_rate:,.0f} "
          f"pages/min (ratio to bare {e2e_rate / bare_rate:.2f}); {articles} articles, {claims} claims")
    print(f"pipeline peak RSS  : {pipe_rss / 2**20:.0f} MB (crawler + extraction worker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
