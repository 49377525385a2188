"""Soak the daemon: many short crawl cycles against a local site; memory and scheduling delay.

    .venv/bin/python bench/daemon_soak.py              # 200 cycles (about 10 minutes on 2 cores)
    .venv/bin/python bench/daemon_soak.py --cycles 30  # a quick look
    make bench-daemon                                  # the same, after setting up

It writes a small news site (a listing page and a few articles) into a temporary directory,
serves it on 127.0.0.1, and runs `computewatch daemon` as a subprocess with a temporary SQLite
database and two sources on a 1-second interval (politeness off). A cycle is one crawl run,
i.e. one "run" line in the daemon's JSON log. Every --add-every cycles a new article is written
to the site, so some runs extract and store something while most find nothing new.

Measured in one run and printed:
- the DAEMON process's resident memory (psutil, children excluded) at cycle 10 and at the last
  cycle, and their ratio (goal: growth under 10 %); the crawl children's peak separately (the
  largest single process, and the largest sum of all of them at one moment);
- the scheduling delay of each run: its child's start minus the time the scheduler meant to
  run it (the log's `delay`), p50 / p95 / max;
- cycles per minute, run statuses, whether anything was stored twice, and how long the daemon
  took to stop on SIGTERM (and its exit code).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from computewatch.localsite import LocalSite  # noqa: E402

COMPANIES = ["Microsoft", "Google", "Amazon", "Meta", "Oracle", "Tesla", "Apple", "xAI",
             "OpenAI", "Anthropic", "CoreWeave", "Alibaba", "Tencent", "ByteDance", "Baidu"]


def article(n: int) -> str:
    company = COMPANIES[n % len(COMPANIES)]
    billions = 10 + 7 * n
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{company} raises its AI budget (story {n})</title></head><body><article>
<h1>{company} raises its AI data center budget (story {n})</h1>
<p>{company} will spend ${billions} billion on AI data centers this fiscal year, story {n} says.</p>
<p>The company said the money would go to new GPU clusters and the power lines that feed them,
and that construction on the first sites had already begun.</p>
</article></body></html>
"""


def write_site(root: Path, n_articles: int) -> None:
    (root / "news").mkdir(parents=True, exist_ok=True)
    for n in range(1, n_articles + 1):
        path = root / "news" / f"s{n}.html"
        if not path.exists():
            path.write_text(article(n), "utf-8")
    links = "".join(f'<li><a href="/news/s{n}.html">story {n}</a></li>' for n in range(1, n_articles + 1))
    for listing in ("a", "b"):      # one listing page per source, both linking every story
        (root / listing).mkdir(exist_ok=True)
        (root / listing / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", "utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=200, help="crawl runs to complete (default 200)")
    ap.add_argument("--sources", type=int, choices=[1, 2], default=2, help="sources (default 2)")
    ap.add_argument("--articles", type=int, default=3, help="articles on the site at the start")
    ap.add_argument("--add-every", type=int, default=25, metavar="N",
                    help="write a new article every N cycles (0: never; default 25)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if args.cycles < 11:
        ap.error("--cycles must be at least 11 (memory is sampled at cycle 10 and at the end)")

    tmp = Path(tempfile.mkdtemp(prefix="cw-soak-"))
    site_dir = tmp / "site"
    n_articles = args.articles
    write_site(site_dir, n_articles)
    db = f"sqlite:///{tmp / 'soak.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update({"COMPUTEWATCH_CONFIG": os.devnull, "COMPUTEWATCH_DOWNLOAD_DELAY": "0",
                "COMPUTEWATCH_AUTOTHROTTLE": "false", "COMPUTEWATCH_FETCH_TIMEOUT": "3",
                "COMPUTEWATCH_RETRY_TIMES": "0", "COMPUTEWATCH_RETRY_BACKOFF": "0.1",
                "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""})
    with LocalSite(site_dir) as site:
        lines = ["include_defaults = false"]
        for name in ("a", "b")[:args.sources]:
            lines += ["", "[[source]]", f'name = "soak-{name}"', 'lang = "en"',
                      f'start_urls = ["{site.base_url}/{name}/"]', 'allow = ["/news/"]',
                      'interval = "1s"']
        sources = tmp / "sources.toml"
        sources.write_text("\n".join(lines) + "\n", "utf-8")
        log_path = tmp / "daemon.log"
        err = open(log_path, "wb")
        cmd = [sys.executable, "-m", "computewatch", "daemon", "--sources", str(sources), "--db", db,
               "--log-format", "json"]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        daemon = psutil.Process(proc.pid)
        runs: list[dict] = []
        rss: dict[int, int] = {}
        rss_trace: list[tuple[int, int]] = []
        child_peak = child_sum_peak = 0
        offset = 0
        next_add = args.add_every
        next_trace = 10
        try:
            while len(runs) < args.cycles:
                if proc.poll() is not None:
                    print(log_path.read_text("utf-8")[-3000:], file=sys.stderr)
                    raise SystemExit(f"the daemon exited with code {proc.returncode}")
                time.sleep(0.2)
                with open(log_path, "rb") as f:          # new complete lines of the log
                    f.seek(offset)
                    chunk = f.read()
                cut = chunk.rfind(b"\n") + 1
                offset += cut
                for line in chunk[:cut].decode("utf-8", "replace").splitlines():
                    if line.startswith("{"):
                        rec = json.loads(line)
                        if rec.get("event") == "run":
                            runs.append(rec)
                try:
                    kids = daemon.children(recursive=True)
                    sizes = []
                    for k in kids:
                        try:
                            sizes.append(k.memory_info().rss)
                        except psutil.Error:
                            pass
                    child_peak = max([child_peak, *sizes])
                    child_sum_peak = max(child_sum_peak, sum(sizes))
                    mine = daemon.memory_info().rss
                except psutil.Error:
                    continue
                done = len(runs)
                if done >= 10 and 10 not in rss:
                    rss[10] = mine
                if done >= next_trace:
                    rss_trace.append((done, mine))
                    next_trace = (done // 10 + 1) * 10
                if args.add_every and done >= next_add:
                    n_articles += 1
                    write_site(site_dir, n_articles)
                    next_add += args.add_every
            rss[args.cycles] = daemon.memory_info().rss
            wall = time.monotonic() - t0
            t_stop = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(120)
            stop_seconds = time.monotonic() - t_stop
        finally:
            if proc.poll() is None:
                proc.kill()
            err.close()

    import sqlalchemy as sa

    engine = sa.create_engine(db)
    with engine.connect() as conn:
        pages, distinct_pages = conn.execute(sa.text("SELECT COUNT(*), COUNT(DISTINCT url) FROM pages")).one()
        articles, distinct_articles = conn.execute(
            sa.text("SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM articles")).one()
        claims = conn.execute(sa.text("SELECT COUNT(*) FROM claims")).scalar()
        db_runs = conn.execute(sa.text("SELECT COUNT(*) FROM crawl_runs")).scalar()
    engine.dispose()

    runs = runs[:args.cycles]
    delays = [r["delay"] for r in runs if r.get("delay") is not None]
    statuses = Counter(r["status"] for r in runs)
    seconds = [r["seconds"] for r in runs]
    ratio = rss[args.cycles] / rss[10]
    print(f"daemon soak: {args.cycles} cycles, {args.sources} source(s) every 1 s, "
          f"{os.cpu_count()} CPUs, {wall:.0f} s ({60 * args.cycles / wall:.1f} cycles/min)")
    quarter = max(1, len(seconds) // 4)
    print(f"  run statuses            {dict(statuses)}; crawl child {statistics.median(seconds):.2f} s "
          f"median ({statistics.median(seconds[:quarter]):.2f} s in the first quarter, "
          f"{statistics.median(seconds[-quarter:]):.2f} s in the last), {max(seconds):.2f} s max")
    print(f"  daemon RSS at cycle 10  {mb(rss[10])}")
    print(f"  daemon RSS at cycle {args.cycles:<4}{mb(rss[args.cycles])}")
    print(f"  growth ratio            {ratio:.3f} ({100 * (ratio - 1):+.1f} %; goal < +10 %)")
    print("  RSS every 10 cycles     " + " ".join(f"{c}:{m / 2**20:.1f}" for c, m in rss_trace))
    print(f"  children's peak RSS     {mb(child_peak)} (one process), {mb(child_sum_peak)} "
          f"(all at once)")
    print(f"  scheduling delay        p50 {1000 * percentile(delays, 0.5):.1f} ms, "
          f"p95 {1000 * percentile(delays, 0.95):.1f} ms, max {1000 * max(delays):.1f} ms "
          f"({len(delays)} runs)")
    print(f"  stored                  {pages} pages ({distinct_pages} distinct), {articles} articles "
          f"({distinct_articles} distinct), {claims} claims, {db_runs} crawl_runs rows; "
          f"site has {n_articles} articles")
    print(f"  SIGTERM -> exit {code} in {stop_seconds:.1f} s")
    if args.keep:
        print(f"  kept: {tmp}")
    else:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    ok = code == 0 and pages == distinct_pages and articles == distinct_articles
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
