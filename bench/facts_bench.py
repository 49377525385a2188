"""Facts at scale, on SQLite: is consolidation's cost per stored article flat as the claims table
grows (1,000 -> 10,000 -> 100,000 claims), and does `computewatch facts` answer in under a second
on 100,000 claims?

    .venv/bin/python bench/facts_bench.py [--sizes 1000,10000,100000] [--probe 200]

The database is filled with synthetic articles, claims and the facts they form (300 subjects,
three kinds, periods 2019-2030, figures in USD and CNY, a third of the reports repeating a figure
already stored), written in bulk; at each size `--probe` more articles are stored and
consolidated by the real storage.facts.consolidate, and timed (CPU time of this process, which
the other work on a shared machine does not inflate; wall time beside it). Then the CLI is run
as a user would, timed from outside (wall clock and the child's CPU time). Every figure printed
is measured in this run.
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBJECTS = [f"Org{i}" for i in range(300)]
PERIODS = [str(y) for y in range(2019, 2031)] + [f"{y}Q{q}" for y in range(2023, 2027) for q in range(1, 5)]
CNY_PER_USD = 7.2


def synthetic_claims(rng: random.Random, seen: list[tuple]) -> list[dict]:
    """Five claims of one article; a third repeat a figure stored before (maybe in yuan)."""
    out = []
    for k in range(5):
        if seen and rng.random() < 0.33:
            subject, kind, period, value = rng.choice(seen)
        else:
            subject, kind, period = rng.choice(SUBJECTS), rng.choice(("money", "gpu_count", "power")), rng.choice(PERIODS)
            value = float(rng.randrange(1, 2000)) * {"money": 1e8, "gpu_count": 100, "power": 1e6}[kind]
            seen.append((subject, kind, period, value))
        currency = value_usd = None
        shown = value
        if kind == "money":
            currency, value_usd = "USD", value
            if rng.random() < 0.3:
                currency, shown = "CNY", round(value * CNY_PER_USD, -6)
        metric = {"money": "capex", "gpu_count": "cluster", "power": "capacity"}[kind]
        text = f"{shown:g}"
        out.append(dict(kind=kind, value=shown, value_max=None, unit="H100" if kind == "gpu_count" else ("W" if kind == "power" else None),
                        currency=currency, approx=None, subject=subject, metric=metric, status="planned",
                        period=period, value_usd=value_usd, value_usd_max=None, h100e=None, text=text,
                        sentence=f"{subject} plans {text} for {period}.", start=k * 100, end=k * 100 + len(text),
                        lang=rng.choice(("en", "zh")), earlier=False, referent=None))
    return out


def store_article(session, n: int, claims: list[dict], version: str) -> int:
    """An article and its claims, written as storage.articles.save writes them, then consolidated."""
    from storage import facts
    from storage.models import Article, Claim

    day = date(2024, 1, 1) + timedelta(days=n % 700)
    art = Article(content_hash=f"{n:040x}", first_page_id=n, url=f"https://example.com/{n}", lang="en",
                  title=f"story {n}", published=day, reported_on=day, text="x" * 600, topic_score=1.0,
                  relevant=True, extractor_version=version, created_at=datetime(2025, 1, 1))
    session.add(art)
    session.flush()
    session.execute(Claim.__table__.insert(), [{**c, "article_id": art.id, "extractor_version": version}
                                               for c in claims])
    facts.consolidate(session, art.id)
    return art.id


def bulk_fill(session, start: int, count: int, rng: random.Random, seen: list[tuple],
              fact_of: dict[tuple, int], version: str) -> int:
    """`count` articles with their claims and facts, written in bulk as consolidation would
    leave them (repeats of a figure share its fact)."""
    from sqlalchemy import func, insert, select

    from storage.models import Article, Claim, Fact

    next_fact = (session.scalar(select(func.max(Fact.id))) or 0) + 1
    arts, claims, new_facts, reports = [], [], [], {}
    for n in range(start, start + count):
        day = date(2024, 1, 1) + timedelta(days=n % 700)
        arts.append(dict(id=n, content_hash=f"{n:040x}", first_page_id=n, url=f"https://example.com/{n}",
                         lang="en", title=f"story {n}", published=day, reported_on=day, text="x" * 600,
                         topic_score=1.0, relevant=True, extractor_version=version,
                         created_at=datetime(2025, 1, 1)))
        for c in synthetic_claims(rng, seen):
            key = (c["subject"], c["kind"], c["period"], c["value_usd"] or c["value"])
            fid = fact_of.get(key)
            if fid is None:
                fid = fact_of[key] = next_fact
                next_fact += 1
                new_facts.append(dict(id=fid, subject=c["subject"], kind=c["kind"], metric=c["metric"],
                                      family={"capex": "outlay", "cluster": "compute", "capacity": "compute"}[c["metric"]],
                                      period=c["period"], status="planned", unit=c["unit"],
                                      currency=c["currency"], referent=None, value=c["value"], value_max=None,
                                      value_usd=c["value_usd"], value_usd_max=None, h100e=None,
                                      first_seen=day, last_seen=day, articles=0))
            reports.setdefault(fid, set()).add(n)
            claims.append({**c, "article_id": n, "extractor_version": version, "fact_id": fid})
    session.execute(insert(Article), arts)
    if new_facts:
        session.execute(insert(Fact), new_facts)
    session.execute(Claim.__table__.insert(), claims)
    for fid, articles in reports.items():
        session.execute(Fact.__table__.update().where(Fact.id == fid).values(
            articles=Fact.articles + len(articles)))
    return start + count


def cli_seconds(db_url: str, *args: str, runs: int = 3) -> tuple[float, int]:
    import resource

    best, lines = None, 0
    for _ in range(runs):
        t = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, "-m", "computewatch.cli", "facts", "--db", db_url, *args],
                             capture_output=True, text=True, cwd=ROOT, env={"COMPUTEWATCH_CONFIG": "/dev/null",
                                                                            "PATH": "/usr/bin:/bin"})
        took = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        assert out.returncode == 0, out.stderr
        best = (took, cpu) if best is None or took < best[0] else best
        lines = len(out.stdout.splitlines())
    return best, lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--probe", type=int, default=200, help="articles timed at each size")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]

    from sqlalchemy import func, select

    from storage.db import open_database
    from storage.models import Claim, Fact

    print(f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())} on "
          f"{__import__('os').cpu_count()} CPUs")
    tmp = tempfile.mkdtemp(prefix="facts-bench-")
    db_url = f"sqlite:///{tmp}/bench.db"
    database = open_database(db_url)
    rng, seen, fact_of, n = random.Random(7), [], {}, 1
    rows = []
    print(f"database {db_url}")
    print(f"{'stored claims':>14} {'facts':>8} {'CPU ms/article median':>22} {'p90':>7} {'wall ms median':>15}")
    for size in sizes:
        with database.session() as s:
            have = s.scalar(select(func.count()).select_from(Claim))
            if size > have:
                n = bulk_fill(s, n, (size - have) // 5, rng, seen, fact_of, "bench")
        took, wall = [], []
        with database.session() as s:
            for k in range(args.probe):
                cl = synthetic_claims(rng, seen)
                t, c = time.perf_counter(), time.process_time()
                store_article(s, 10_000_000 + k, cl, "bench")
                took.append((time.process_time() - c) * 1000)
                wall.append((time.perf_counter() - t) * 1000)
            s.rollback()                  # probes are measured, not kept: sizes stay exact
        with database.session() as s:
            have = s.scalar(select(func.count()).select_from(Claim))
            nfacts = s.scalar(select(func.count()).select_from(Fact))
        took.sort()
        med, p90 = statistics.median(took), took[int(len(took) * 0.9)]
        rows.append((have, med))
        print(f"{have:>14,} {nfacts:>8,} {med:>22.2f} {p90:>7.2f} {statistics.median(wall):>15.2f}", flush=True)
    database.dispose()
    first, last = rows[0][1], rows[-1][1]
    print(f"cost per article at {rows[-1][0]:,} claims / at {rows[0][0]:,}: {last / first:.2f}x")

    print("\n`computewatch facts` on the last size (fastest of 3 runs, a new interpreter each):")
    for label, cli_args in (("every fact, jsonl", ["--format", "jsonl"]),
                            ("one subject, jsonl", ["--subject", "Org7", "--format", "jsonl"]),
                            ("reported by 3+ articles, by articles", ["--min-articles", "3", "--sort", "articles", "--format", "jsonl"]),
                            ("money in 2025, by value_usd, table", ["--kind", "money", "--period", "2025", "--sort", "value_usd", "--limit", "50"])):
        (secs, cpu), lines = cli_seconds(db_url, *cli_args)
        print(f"  {label:<40} wall {secs:6.3f} s   CPU {cpu:6.3f} s  ({lines:,} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
