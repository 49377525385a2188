"""Scale benchmark, the processing half: pages per second with 1 and 2 `computewatch worker`
processes sharing one PostgreSQL queue (DESIGN.md: Scale).

Each round stores PAGES distinct on-topic article pages (tests/queue_helpers.py) in a fresh
database, starts the workers (`worker --once`) and times the pages done from the first few to the
last, so the models' load time is left out. PostgreSQL: COMPUTEWATCH_TEST_PG_URL if set (a fresh
database per round on it), else a throw-away server started with scripts/pg.sh on a port of its
own (SCALE_PG_PORT, default 55471) and stopped at the end.

Last line: `scale workers1=.. workers2=.. worker_speedup=..` (pages/s). The crawler half (crawl
processes sharing a Redis frontier) is to be added beside it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PAGES = int(os.environ.get("SCALE_PAGES", "400"))
WARMUP = 10                      # pages done before the clock starts (models loaded by then)


def start_own_postgres() -> tuple[str, callable]:
    port = os.environ.get("SCALE_PG_PORT", "55471")
    env = {**os.environ, "PG_PORT": port}
    out = subprocess.run(["bash", "-c", "source scripts/pg.sh && pg_start >&2 && echo $PG_URL"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    url = out.stdout.strip().splitlines()[-1]

    def stop():
        subprocess.run(["bash", "-c", "source scripts/pg.sh && pg_stop"], cwd=ROOT, env=env)

    return url, stop


def fresh_database(server_url: str) -> tuple[str, callable]:
    from pg_helpers import fresh_pg_database

    return fresh_pg_database(server_url, "cw_scale")


def processed(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT COUNT(*) FROM pages WHERE processed_version IS NOT NULL")).scalar()
    finally:
        engine.dispose()


def round_of(server_url: str, workers: int) -> float:
    from queue_helpers import store_synthetic_pages

    url, drop = fresh_database(server_url)
    try:
        store_synthetic_pages(url, PAGES)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
        env["COMPUTEWATCH_CONFIG"] = os.devnull
        procs = [subprocess.Popen([sys.executable, "-m", "computewatch", "worker", "--once",
                                   "--batch", "10", "--db", url], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        t0 = d0 = None
        while True:
            n = processed(url)
            now = time.monotonic()
            if t0 is None and n >= WARMUP:
                t0, d0 = now, n
            if n >= PAGES or all(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
        t1 = time.monotonic()
        for p in procs:
            p.wait()
        assert processed(url) == PAGES, "pages left unprocessed"
        rate = (PAGES - d0) / max(t1 - t0, 1e-6)
        print(f"workers={workers}: {PAGES - d0} pages in {t1 - t0:.1f} s = {rate:.1f} pages/s",
              flush=True)
        return rate
    finally:
        drop()


def main() -> int:
    server = os.environ.get("COMPUTEWATCH_TEST_PG_URL")
    stop = None
    if not server:
        server, stop = start_own_postgres()
    try:
        one = round_of(server, 1)
        two = round_of(server, 2)
    finally:
        if stop:
            stop()
    print(f"scale workers1={one:.1f} workers2={two:.1f} worker_speedup={two / one:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
