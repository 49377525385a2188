#!/usr/bin/env python3
"""Fault trials (issue 13): random SIGKILLs of crawls and workers, then every page exactly once.

A site of --pages article pages (bench/crawl_bench.py's generator: English and Chinese stories,
all on topic, one sitemap with an ETag) is served on 127.0.0.1 (computewatch.localsite), each
page answering after --latency seconds so that the crawl spans many trials. Then --trials
times, against one database:

  1. start `computewatch crawl` and/or `computewatch worker` (`.venv/bin/python -m computewatch`,
     real processes; a worker is sometimes `--once`);
  2. after a random delay (--min-delay..--max-delay s) SIGKILL one live process at random: a
     crawl, the extraction worker a crawl runs beside Scrapy, or a worker, this trial's or a
     survivor of an earlier one; with --pg-restart-cmd, PostgreSQL is restarted at a random
     moment of some trials (--pg-restart-chance);
  3. the survivors stay for the next trials, where they may be killed, but at most MAX_LIVE:
     the oldest beyond it are stopped (SIGTERM, SIGKILL after 30 s).

A crawl or a worker may also end by itself (its work done, or a database fault: exit 2). Then a
clean `crawl` and `worker --once`, each of which must exit 0, and the checks:

  lost        site pages not stored, or stored but not processed into their own article with
              claims (outcome `article`)
  duplicates  URLs stored twice, articles sharing a page or a text, claims stored twice for
              one span, facts counting more articles than their claims come from
  integrity   SQLite `PRAGMA integrity_check`; PostgreSQL amcheck's bt_index_check of every
              index (`n/a` without the extension)
  and no run left `running`, no lease held, no page given up (`error`).

The last line printed is
    faults trials=N pages=P articles=A lost=L duplicates=D integrity=ok
and the exit code 0 only if lost=0, duplicates=0, integrity ok and the other checks hold.
With --db a PostgreSQL URL, a fresh database is created on that server (dropped afterwards
unless --keep), e.g. with the server scripts/pg.sh starts:

    PG_PORT=55477 PG_DIR=/tmp/cw-trials-pg bash -c 'source scripts/pg.sh; pg_start'
    .venv/bin/python bench/fault_trials.py \\
        --db postgresql+psycopg://computewatch@127.0.0.1:55477/computewatch_test \\
        --pg-restart-cmd "pg_ctl -D /tmp/cw-trials-pg/data -m fast -w restart"

(as root, run pg_ctl as the cluster's owner: `su cwpg -s /bin/bash -c "..."`).

usage: bench/fault_trials.py [--trials 40] [--pages 5000] [--seed 13] [--db URL]
                             [--pg-restart-cmd CMD] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")

# What each trial starts (weights): most trials have a crawl to kill mid-fetch.
STARTS = [(("crawl",), 4), (("worker",), 2), (("crawl", "worker"), 4)]
STOP_GRACE = 30.0            # a survivor stopped with SIGTERM is SIGKILLed after this
MAX_LIVE = 3                 # crawls and workers running at once, after a trial's kill


def trial_env(args, time_limit: float) -> dict:
    """The crawl settings of a trial, through the environment knobs the project reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update({"COMPUTEWATCH_CONFIG": os.devnull, "COMPUTEWATCH_DOWNLOAD_DELAY": "0",
                "COMPUTEWATCH_AUTOTHROTTLE": "false",
                "COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": str(args.concurrency),
                "COMPUTEWATCH_FETCH_TIMEOUT": "10", "COMPUTEWATCH_RETRY_TIMES": "1",
                "COMPUTEWATCH_RETRY_BACKOFF": "0.2",
                "COMPUTEWATCH_CRAWL_TIME_LIMIT": str(time_limit),
                "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""})
    if args.lease:
        env["COMPUTEWATCH_WORKER_LEASE"] = str(args.lease)
    return env


def build_site(root: Path, pages: int, latency: float) -> list[str]:
    """The site's files; the paths of its article pages."""
    from crawl_bench import build_site as write_pages

    write_pages(root, pages)
    paths = [f"/news/{i:05d}.html" for i in range(pages)]
    routes = ['["/sitemap.xml"]\netag = true\n']        # a 304 must never hide an unstored page
    routes += [f'["{p}"]\ndelay = {latency}\n' for p in paths]
    (root / "_routes.toml").write_text("".join(routes), "utf-8")
    return paths


@dataclass
class Proc:
    kind: str                    # crawl | worker | worker --once
    popen: subprocess.Popen
    trial: int
    log: Path
    fate: str = "running"        # killed, stopped, exit N

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Trials:
    args: argparse.Namespace
    db: str
    sources: Path
    work: Path
    rng: random.Random
    procs: list[Proc] = field(default_factory=list)
    exits: dict = field(default_factory=dict)       # "crawl exit 2" -> count
    restarts: int = 0

    def start(self, kind: str, trial: int, time_limit: float | None = None) -> Proc:
        if kind == "crawl":
            cmd = ["crawl", "--sources", str(self.sources)]
        else:
            cmd = ["worker", *(["--once"] if kind == "worker --once" else [])]
        log = self.work / "logs" / f"t{trial:03d}-{kind.replace(' --', '-')}-{len(self.procs)}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen([PYTHON, "-m", "computewatch", *cmd, "--db", self.db],
                                     cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                     env=trial_env(self.args, time_limit or self.args.time_limit),
                                     start_new_session=True)     # its own group: cleaned up by us
        p = Proc(kind, popen, trial, log)
        self.procs.append(p)
        return p

    def live(self) -> list[Proc]:
        for p in self.procs:
            if p.fate == "running" and not p.alive():
                self._ended(p, f"exit {p.popen.returncode}")
        return [p for p in self.procs if p.fate == "running"]

    def _ended(self, p: Proc, fate: str) -> None:
        p.fate = fate
        key = f"{p.kind.split()[0]} {fate}"
        self.exits[key] = self.exits.get(key, 0) + 1

    def victims(self) -> list[tuple[str, int, Proc]]:
        """What may be killed now: live crawls, their extraction workers, live workers."""
        import psutil

        out = []
        for p in self.live():
            out.append((p.kind.split()[0], p.pid, p))
            if p.kind == "crawl":
                try:
                    for child in psutil.Process(p.pid).children():
                        if "resource_tracker" not in " ".join(child.cmdline()):
                            out.append(("crawl's worker", child.pid, p))
                except psutil.Error:
                    pass
        return out

    def kill(self, what: str, pid: int, owner: Proc) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        if pid == owner.pid:
            owner.popen.wait()
            self._ended(owner, "killed")

    def stop(self, p: Proc) -> None:
        """SIGTERM, then SIGKILL after STOP_GRACE: what a stopped survivor gets."""
        if not p.alive():
            self.live()
            return
        p.popen.send_signal(signal.SIGTERM)
        try:
            p.popen.wait(STOP_GRACE)
            self._ended(p, f"stopped {p.popen.returncode}")
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.popen.wait()
            self._ended(p, "stop timed out, killed")

    def cleanup(self) -> None:
        """Every process group we started is gone when the bench ends, however it ends."""
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if p.alive():
                p.popen.wait()

    def restart_pg(self) -> float:
        t0 = time.monotonic()
        r = subprocess.run(self.args.pg_restart_cmd, shell=True, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise SystemExit(f"fault_trials: --pg-restart-cmd failed: {r.stderr.strip()[-300:]}")
        self.restarts += 1
        return time.monotonic() - t0


def counts(db: str) -> str:
    """pages stored / processed, for the progress line (`?` while the database is away)."""
    import sqlalchemy as sa

    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            stored, done = conn.execute(sa.text(
                "SELECT COUNT(*), COUNT(processed_version) FROM pages")).one()
        return f"stored={stored} processed={done}"
    except sa.exc.SQLAlchemyError:
        return "stored=? processed=?"
    finally:
        engine.dispose()


def run_trials(t: Trials) -> None:
    args, rng = t.args, t.rng
    for n in range(1, args.trials + 1):
        kinds = rng.choices([k for k, _ in STARTS], [w for _, w in STARTS])[0]
        kinds = [("worker --once" if k == "worker" and rng.random() < 0.3 else k) for k in kinds]
        for k in kinds:
            t.start(k, n)
        running = t.live()               # this trial's and the survivors
        delay = rng.uniform(args.min_delay, args.max_delay)
        restart = ""
        if args.pg_restart_cmd and rng.random() < args.pg_restart_chance:
            before = rng.uniform(0, delay)
            time.sleep(before)
            restart = f" pg_restart@{before:.1f}s({t.restart_pg():.1f}s)"
            time.sleep(delay - before)
        else:
            time.sleep(delay)
        victims = t.victims()
        killed = "nothing (all ended)"
        if victims:
            what, pid, owner = rng.choice(victims)
            t.kill(what, pid, owner)
            killed = f"{what} of t{owner.trial}"
        for p in t.live()[:-MAX_LIVE]:   # the oldest survivors beyond MAX_LIVE: stopped
            t.stop(p)
        ended = ", ".join(f"{p.kind} of t{p.trial} {p.fate}" for p in running
                          if p.fate not in ("running", "killed"))
        print(f"trial {n:>3}/{args.trials} started {'+'.join(kinds):<19} SIGKILL {killed} "
              f"after {delay:.1f}s{restart}{'; ended: ' + ended if ended else ''}; "
              f"running {len(t.live())}; {counts(t.db)}", flush=True)
    for p in t.live():
        t.stop(p)


def finish(t: Trials) -> None:
    """The clean crawl and worker that must complete what the trials left."""
    for kind in ("crawl", "worker --once"):
        p = t.start(kind, 0, time_limit=t.args.final_time_limit)
        t0 = time.monotonic()
        code = p.popen.wait(t.args.final_time_limit + 120)
        p.fate = f"exit {code}"
        print(f"final {kind}: exit {code} in {time.monotonic() - t0:.0f} s; {counts(t.db)}", flush=True)
        if code != 0:
            print(p.log.read_text("utf-8", "replace")[-3000:], file=sys.stderr)
            raise SystemExit(f"fault_trials: the final {kind} failed (exit {code}); logs in {t.work}")


def check(db: str, site_urls: set[str]) -> dict:
    """Everything the trials must not have broken, measured."""
    import sqlalchemy as sa

    engine = sa.create_engine(db)
    one = lambda conn, sql: conn.execute(sa.text(sql)).scalar() or 0   # noqa: E731
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT p.url, p.outcome, a.id, (SELECT COUNT(*) FROM claims c WHERE c.article_id = a.id) "
            "FROM pages p LEFT JOIN articles a ON a.id = p.article_id AND a.first_page_id = p.id")).all()
        good = {url for url, outcome, art, claims in rows
                if outcome == "article" and art is not None and claims > 0}
        f = {
            "lost": len(site_urls - good),
            "dup_urls": one(conn, "SELECT COUNT(*) - COUNT(DISTINCT url) FROM pages"),
            "dup_article_pages": one(conn, "SELECT COUNT(*) - COUNT(DISTINCT first_page_id) FROM articles"),
            "dup_article_texts": one(conn, "SELECT COUNT(*) - COUNT(DISTINCT content_hash) FROM articles"),
            "pages_sharing_article": one(conn, "SELECT COUNT(*) - COUNT(DISTINCT article_id) FROM pages "
                                               "WHERE article_id IS NOT NULL"),
            "dup_claims": one(conn, 'SELECT COUNT(*) FROM (SELECT 1 FROM claims GROUP BY article_id, '
                                    'kind, start, "end" HAVING COUNT(*) > 1) d'),
            # A fact counts each article once: more than its claims come from is a report twice.
            "facts_overcounted": one(conn, "SELECT COUNT(*) FROM facts f WHERE f.articles > (SELECT "
                                           "COUNT(DISTINCT c.article_id) FROM claims c WHERE c.fact_id = f.id)"),
            "articles": one(conn, "SELECT COUNT(*) FROM articles"),
            "claims": one(conn, "SELECT COUNT(*) FROM claims"),
            "facts": one(conn, "SELECT COUNT(*) FROM facts"),
            "running_runs": one(conn, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'"),
            "leases_held": one(conn, "SELECT COUNT(*) FROM pages WHERE lease_owner IS NOT NULL"),
            "pending": one(conn, "SELECT COUNT(*) FROM pages WHERE processed_version IS NULL"),
            "error_pages": one(conn, "SELECT COUNT(*) FROM pages WHERE outcome = 'error'"),
            "runs": dict(conn.execute(sa.text("SELECT status, COUNT(*) FROM crawl_runs GROUP BY status")).all()),
        }
        f["duplicates"] = sum(f[k] for k in ("dup_urls", "dup_article_pages", "dup_article_texts",
                                              "pages_sharing_article", "dup_claims", "facts_overcounted"))
    with engine.connect() as conn:
        f["integrity"] = _integrity(conn.execution_options(isolation_level="AUTOCOMMIT"))
    engine.dispose()
    return f


def _integrity(conn) -> str:
    import sqlalchemy as sa

    if conn.dialect.name == "sqlite":
        rows = [r[0] for r in conn.execute(sa.text("PRAGMA integrity_check"))]
        return "ok" if rows == ["ok"] else "; ".join(rows)[:300]
    try:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        conn.execute(sa.text(         # every B-tree index of ours against its table's rows
            "SELECT bt_index_check(i.indexrelid, true) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_am am ON am.oid = c.relam WHERE n.nspname = 'public' AND am.amname = 'btree'")).all()
        return "ok"
    except sa.exc.SQLAlchemyError as e:
        msg = str(getattr(e, "orig", e)).splitlines()[0]
        return "n/a" if "amcheck" in msg and "extension" in msg else f"failed ({msg[:200]})"


def fresh_pg_database(url: str) -> tuple[str, callable]:
    """A new database on the server `url` names (tests/pg_helpers.py, as the tests make theirs)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_helpers import fresh_pg_database as fresh

    return fresh(url, "cw_trials")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--db", help="a PostgreSQL server URL (a fresh database is made on it); "
                                 "default: a SQLite file in the work directory")
    ap.add_argument("--pg-restart-cmd", help="shell command restarting that PostgreSQL server")
    ap.add_argument("--pg-restart-chance", type=float, default=0.3,
                    help="share of trials with a restart (default 0.3)")
    ap.add_argument("--min-delay", type=float, default=1.0, help="seconds before a kill, at least")
    ap.add_argument("--max-delay", type=float, default=8.0, help="... at most")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds each article page takes")
    ap.add_argument("--concurrency", type=int, default=4, help="requests in flight (concurrency_per_domain)")
    ap.add_argument("--lease", type=float, help="worker_lease, seconds (default: the project's)")
    ap.add_argument("--time-limit", type=float, default=300.0, help="crawl_time_limit of a trial's crawl")
    ap.add_argument("--final-time-limit", type=float, default=900.0, help="... of the final crawl")
    ap.add_argument("--keep", type=Path, help="build the site, database and logs here and keep them")
    args = ap.parse_args()
    if args.pg_restart_cmd and not (args.db or "").startswith("postgres"):
        ap.error("--pg-restart-cmd needs --db postgresql://...")

    from computewatch.localsite import LocalSite

    t0 = time.monotonic()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cw-fault-trials-"))
    (work / "logs").mkdir(parents=True, exist_ok=True)
    paths = build_site(work / "site", args.pages, args.latency)
    drop = None
    if args.db:
        db, drop = fresh_pg_database(args.db)
    else:
        db = f"sqlite:///{work / 'trials.db'}"
    rng = random.Random(args.seed)
    with LocalSite(work / "site") as site:
        sources = work / "sources.toml"
        sources.write_text(f'include_defaults = false\n\n[[source]]\nname = "trials"\nlang = "en"\n'
                           f'sitemaps = ["{site.base_url}/sitemap.xml"]\ninterval = "1h"\n', "utf-8")
        from crawler.urls import canonical

        site_urls = {canonical(site.base_url + p) for p in paths}
        print(f"fault trials: {args.trials} trials, {args.pages} pages on {site.base_url}, "
              f"database {'PostgreSQL' if args.db else 'SQLite'}, seed {args.seed}, "
              f"{os.cpu_count()} cores; work directory {work}", flush=True)
        t = Trials(args, db, sources, work, rng)
        try:
            run_trials(t)
            trials_seconds = time.monotonic() - t0
            finish(t)
        finally:
            t.cleanup()
        fetches = sum(1 for r in site.request_log if r.path.startswith("/news/"))
    f = check(db, site_urls)
    if drop and not args.keep:
        drop()
    wall = time.monotonic() - t0
    print("processes: " + ", ".join(f"{k} {v}" for k, v in sorted(t.exits.items()))
          + (f"; PostgreSQL restarts {t.restarts}" if args.pg_restart_cmd else ""))
    print(f"runs: {', '.join(f'{k} {v}' for k, v in sorted(f['runs'].items()))}; running {f['running_runs']}, "
          f"leases held {f['leases_held']}, pending {f['pending']}, error pages {f['error_pages']}")
    print(f"stored: {f['articles']} articles, {f['claims']} claims, {f['facts']} facts; "
          f"{fetches} article requests for {args.pages} pages")
    print("duplicates by kind: " + ", ".join(f"{k} {f[k]}" for k in (
        "dup_urls", "dup_article_pages", "dup_article_texts", "pages_sharing_article", "dup_claims",
        "facts_overcounted")))
    ok = (f["lost"] == 0 and f["duplicates"] == 0 and f["integrity"] in ("ok", "n/a")
          and f["running_runs"] == 0 and f["leases_held"] == 0 and f["error_pages"] == 0)
    print(f"wall {wall:.0f} s (trials {trials_seconds:.0f} s)"
          + ("" if ok or args.keep else f"; logs and database kept in {work}"))
    if ok and not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    print(f"faults trials={args.trials} pages={args.pages} articles={f['articles']} lost={f['lost']} "
          f"duplicates={f['duplicates']} integrity={f['integrity']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
