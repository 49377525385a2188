"""`computewatch export` at scale, on SQLite: time and peak memory of exporting every claim and
every fact as CSV, JSON lines and Parquet, at 10,000 and 100,000 claims. Memory should stay flat
(the rows are streamed): the peak at 100,000 claims close to the peak at 10,000.

    .venv/bin/python bench/export_bench.py [--sizes 10000,100000]

The databases are filled as bench/facts_bench.py fills its own (synthetic articles, claims and
facts in bulk). Each export runs as a user runs it, a new interpreter; its wall time, CPU time
and peak resident memory are the child's own (os.wait4). `claims --format jsonl` (which holds
the whole answer before printing it) is timed beside for comparison. Every figure printed is
measured in this run.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ENV = {"COMPUTEWATCH_CONFIG": os.devnull, "PATH": "/usr/bin:/bin"}


def build(url: str, claims: int) -> None:
    """Fill in a child process: a child forked from a parent that grew while filling would
    count the parent's pages in its own peak memory."""
    subprocess.run([sys.executable, __file__, "--build", url, str(claims)], check=True, cwd=ROOT)


def _fill(url: str, claims: int) -> None:
    from facts_bench import bulk_fill

    from storage.db import open_database

    database = open_database(url)
    with database.session() as s:
        bulk_fill(s, 1, claims // 5, random.Random(7), [], {}, "bench")     # five claims an article
    database.dispose()


def measure(*args: str) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of `computewatch ARGS` in a new interpreter."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "computewatch.cli", *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, err
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--build", nargs=2, metavar=("URL", "CLAIMS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        _fill(args.build[0], int(args.build[1]))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'claims':>8} {'what':<26} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'file MB':>8}")
    for size in (int(x) for x in args.sizes.split(",")):
        url = f"sqlite:///{tmp / f'bench{size}.db'}"
        build(url, size)
        for table in ("claims", "facts"):
            for fmt in ("csv", "jsonl", "parquet"):
                out = tmp / f"{table}.{fmt}"
                wall, cpu, peak = measure("export", table, "--db", url, "--output", str(out))
                print(f"{size:>8,} {f'export {table} {fmt}':<26} {wall:>7.2f} {cpu:>7.2f} {peak:>8.0f} "
                      f"{out.stat().st_size / 1e6:>8.1f}", flush=True)
                out.unlink()
        wall, cpu, peak = measure("claims", "--db", url, "--format", "jsonl")
        print(f"{size:>8,} {'claims --format jsonl':<26} {wall:>7.2f} {cpu:>7.2f} {peak:>8.0f}", flush=True)
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
