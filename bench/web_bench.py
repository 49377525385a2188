"""Web app latency at scale: p50/p95 of the main pages and JSON twins of `computewatch serve`
with 100,000 claims stored, on SQLite (goal: `/facts` and `/claims.json` p95 under 200 ms).

    .venv/bin/python bench/web_bench.py [--claims 100000] [--requests 200]

The database is filled as bench/facts_bench.py fills it (synthetic articles, claims and their
facts, written in bulk, then the planner statistics a worker refreshes once it drained the
queue); then `computewatch serve` is started as a user starts it (a subprocess,
uvicorn on 127.0.0.1) and each URL is requested `--requests` times over one keep-alive
connection, after a warm-up, timed from the client (wall clock, as an analyst's browser sees
it). Facets and totals are kept until the database changes (computewatch/web/cache.py): the
first, uncached request of each URL is printed beside the percentiles. Every figure printed is
measured in this run.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GOAL_MS = 200.0
URLS = [  # (path, held to the goal)
    ("/facts", True),
    ("/claims.json", True),
    ("/claims.json?subject=Org7&kind=money", True),
    ("/facts?kind=money&period=2025&sort=value_usd", False),
    ("/facts.json?min_articles=3&sort=articles", False),
    ("/claims?subject=Org7", False),
    ("/subjects/Org7", False),
    ("/", False),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(db_url: str, claims: int) -> None:
    from facts_bench import bulk_fill
    from storage.db import open_database

    database = open_database(db_url)
    rng, seen, fact_of, n = random.Random(7), [], {}, 1
    with database.session() as s:
        while (n - 1) * 5 < claims:
            n = bulk_fill(s, n, min(5_000, (claims // 5) - (n - 1)), rng, seen, fact_of, "bench")
    database.refresh_planner_stats()      # as the worker does once it drained the queue
    database.dispose()


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited early: {proc.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("serve did not come up")


def timings(port: int, path: str, requests: int) -> tuple[list[float], int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    size = 0
    t = time.perf_counter()
    conn.request("GET", path)
    conn.getresponse().read()
    first = (time.perf_counter() - t) * 1000
    for _ in range(2):                      # warm-up: templates compiled, pages in the OS cache
        conn.request("GET", path)
        body = conn.getresponse().read()
    took = []
    for _ in range(requests):
        t = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        took.append((time.perf_counter() - t) * 1000)
        if resp.status != 200:
            raise SystemExit(f"{path}: HTTP {resp.status}: {body[:300]!r}")
        size = len(body)
    conn.close()
    return sorted(took), size, first


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    tmp = tempfile.mkdtemp(prefix="web-bench-")
    db_url = f"sqlite:///{tmp}/bench.db"
    t = time.perf_counter()
    fill(db_url, args.claims)
    print(f"database {db_url}: {args.claims:,} claims written in {time.perf_counter() - t:.1f} s")

    port = free_port()
    env = {**os.environ, "COMPUTEWATCH_CONFIG": os.devnull}
    proc = subprocess.Popen([sys.executable, "-m", "computewatch.cli", "serve", "--db", db_url,
                             "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    failed = []
    try:
        wait_until_up(port, proc)
        print(f"{'path':<48} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>9}")
        for path, held in URLS:
            took, size, first = timings(port, path, args.requests)
            p50, p95 = statistics.median(took), took[int(len(took) * 0.95) - 1]
            mark = ""
            if held:
                mark = "  ok" if p95 < GOAL_MS else f"  over the {GOAL_MS:.0f} ms goal"
                if p95 >= GOAL_MS:
                    failed.append(path)
            print(f"{path:<48} {first:>8.1f} {p50:>8.1f} {p95:>8.1f} {took[-1]:>8.1f} {size:>9,}{mark}", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"goal p95 < {GOAL_MS:.0f} ms for /facts and /claims.json at {args.claims:,} claims: "
          + ("met" if not failed else "NOT met for " + ", ".join(failed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
