"""The daemon end to end: `computewatch daemon` as a real process, second-scale intervals, a local
site in a temporary directory that the tests change between runs, and the database read back.

Every crawl is a child process (~3-7 s of Python start, Scrapy and spaCy on 2 cores), so the
tests wait on the database and on the daemon's JSON log with deadlines instead of sleeping, and
share the daemons they start where they can.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, cli_env, query, run_cli

COMPUTEWATCH = str(ROOT / ".venv" / "bin" / "computewatch")
DAEMON_ENV = {"COMPUTEWATCH_FETCH_TIMEOUT": "3", "COMPUTEWATCH_RETRY_BACKOFF": "0.1",
              "COMPUTEWATCH_RETRY_TIMES": "0"}

# One on-topic article per spender: each stores exactly one money claim.
SPENDERS = [("Microsoft", 80), ("Google", 75), ("Amazon", 100), ("Meta", 65), ("Oracle", 25),
            ("Tesla", 10)]


# --- the site, the sources, the daemon ------------------------------------------------------------

def article_html(n: int) -> str:
    company, billions = SPENDERS[n - 1]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{company} raises its AI data center budget - Daemon Daily</title>
<meta property="article:published_time" content="2026-0{n}-0{n}T09:00:00+00:00">
</head><body>
<nav><a href="/">Home</a> | <a href="/list/">Latest</a></nav>
<article>
<h1>{company} raises its AI data center budget</h1>
<p>{company} will spend ${billions} billion on AI data centers this fiscal year.</p>
<p>The company said in a statement that the money would go to new GPU clusters and the power
lines that feed them, and that construction on the first sites had already begun.</p>
<p>Analysts said the plan made {company} one of the largest buyers of AI chips in the world.</p>
</article>
<footer>Daemon Daily, a test site for computewatch.</footer>
</body></html>
"""


def write_site(root: Path, articles: list[int], routes: str = "") -> Path:
    """news/a<N>.html for each N and a listing page linking them all (written last)."""
    (root / "news").mkdir(parents=True, exist_ok=True)
    (root / "list").mkdir(exist_ok=True)
    for n in articles:
        (root / "news" / f"a{n}.html").write_text(article_html(n), "utf-8")
    links = "\n".join(f'<li><a href="/news/a{n}.html">{SPENDERS[n - 1][0]}</a></li>'
                      for n in sorted({int(p.stem[1:]) for p in (root / "news").glob("a*.html")}))
    (root / "list" / "index.html").write_text(
        f"<!DOCTYPE html><html><head><title>Latest</title></head><body><ul>\n{links}\n</ul></body></html>\n",
        "utf-8")
    if routes:
        (root / "_routes.toml").write_text(routes, "utf-8")
    return root


def write_sources(path: Path, *sources: dict) -> Path:
    lines = ["include_defaults = false"]
    for src in sources:
        lines += ["", "[[source]]"] + [f"{k} = {json.dumps(v)}" for k, v in src.items()]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def listing_source(name: str, base: str, interval: str, path: str = "/list/") -> dict:
    return {"name": name, "lang": "en", "start_urls": [base + path], "allow": [r"/news/"],
            "interval": interval}


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


class Daemon:
    """`computewatch daemon` in a subprocess, its stderr in a file (JSON lines by default)."""

    def __init__(self, tmp: Path, sources: Path, db: str, *extra: str, log_format: str = "json",
                 env: dict | None = None, name: str = "daemon"):
        self.log_path = tmp / f"{name}.{int(time.time() * 1000)}.log"
        self.args = [COMPUTEWATCH, "daemon", "--sources", str(sources), "--db", db,
                     "--log-format", log_format, *extra]
        self.env = cli_env({**DAEMON_ENV, **(env or {})})
        self.proc: subprocess.Popen | None = None
        self.format = log_format

    def start(self) -> "Daemon":
        self._err = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self._err,
                                     env=self.env, cwd=ROOT)
        wait_for(lambda: "daemon started" in self.text() or self.proc.poll() is not None, 30,
                 "the daemon to start")
        assert self.proc.poll() is None, self.text()
        return self

    def text(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def events(self, name: str | None = None) -> list[dict]:
        out = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                rec = json.loads(line)
                if name is None or rec.get("event") == name:
                    out.append(rec)
        return out

    def runs(self, source: str | None = None) -> list[dict]:
        return [r for r in self.events("run") if source is None or r["source"] == source]

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - t0

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._err.close()


@pytest.fixture
def daemons():
    started: list[Daemon] = []

    def start(*args, **kwargs) -> Daemon:
        d = Daemon(*args, **kwargs).start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run_rows(db: str, source: str) -> list[tuple]:
    return query(db, "SELECT id, status, pages, new_articles, new_claims, pid FROM crawl_runs "
                     "WHERE source = :s ORDER BY id", s=source)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def status_json(sources: Path, db: str) -> dict[str, dict]:
    result = run_cli("status", "--format", "json", "--sources", str(sources), "--db", db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return {r["source"]: r for r in rows}


STATUS_FIELDS = {"source", "runs", "failures", "last_status", "last_run_end", "next_run",
                 "articles", "claims"}


# --- the scheduled daemon ---------------------------------------------------------------------

def test_runs_on_time_pick_up_new_articles_and_store_nothing_twice(tmp_path, daemons):
    site_dir = write_site(tmp_path / "site", [1])
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(site_dir) as site:
        sources = write_sources(tmp_path / "sources.toml", listing_source("daily", site.base_url, "3s"))
        log_file = tmp_path / "daemon-file.log"
        d = daemons(tmp_path, sources, db, "--log-file", str(log_file))

        # A second daemon on the same database refuses, naming the database and the first one.
        t0 = time.monotonic()
        second = subprocess.run([COMPUTEWATCH, "daemon", "--sources", str(sources), "--db", db],
                                capture_output=True, text=True, env=cli_env(DAEMON_ENV), timeout=60)
        assert second.returncode == 2, second.stderr
        assert time.monotonic() - t0 < 20
        message = second.stderr.strip()
        assert message.startswith("computewatch: error: ") and "\n" not in message
        assert str(tmp_path / "cw.db") in message and "already running" in message
        assert f"pid {d.proc.pid}" in message

        # The first run stores the one article; articles added to the site are picked up later.
        wait_for(lambda: any(r["new_articles"] == 1 for r in d.runs()), 45, "the first article")
        write_site(site_dir, [2, 3])
        wait_for(lambda: any(r["new_articles"] == 2 for r in d.runs()), 45, "the two new articles")
        n = len(d.runs())
        wait_for(lambda: len(d.runs()) > n, 30, "one more run")
        code, took = d.stop()

    assert code == 0, d.text()
    assert took < 15
    assert "daemon stopped" in d.text()
    runs = d.runs("daily")
    assert len(runs) >= 3
    assert all(r["status"] == "ok" and r["exit_code"] == 0 for r in runs), runs

    # On time: each run starts within a fraction of a second of its scheduled time, the first one
    # right after the start, and each next one at the first 3 s slot after the previous ended.
    assert all(0 <= r["delay"] < 1.0 for r in runs), [r["delay"] for r in runs]
    started = ts(d.events("daemon started")[0]["time"])
    assert ts(runs[0]["scheduled_at"]) - started < timedelta(seconds=3)
    for prev, nxt in zip(runs, runs[1:]):
        ended = ts(prev["started_at"]) + timedelta(seconds=prev["seconds"])
        assert nxt["scheduled_at"] == prev["next_run"]
        gap = (ts(nxt["scheduled_at"]) - ended).total_seconds()
        assert -0.2 <= gap <= 3.0 + 0.3 + 0.5, (prev, nxt)     # interval + jitter + slack

    # Nothing twice: each page fetched and stored once, each article once, each claim once.
    assert sorted(p for p in site.requests if p.startswith("/news/")) == \
        ["/news/a1.html", "/news/a2.html", "/news/a3.html"]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT url) FROM pages") == [(3, 3)]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM articles WHERE relevant = :t",
                 t=True) == [(3, 3)]
    assert query(db, "SELECT subject, value, currency FROM claims ORDER BY value") == \
        [("Google", 75e9, "USD"), ("Microsoft", 80e9, "USD"), ("Amazon", 100e9, "USD")]
    assert sum(r["new_articles"] for r in runs) == 3 and sum(r["new_claims"] for r in runs) == 3

    # crawl_runs holds every run the log reports, with the same counts.
    rows = run_rows(db, "daily")
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == \
        [(r["run"], r["status"], r["pages"], r["new_articles"], r["new_claims"]) for r in runs]

    # The log file got the same run lines as stderr.
    file_runs = [json.loads(line) for line in log_file.read_text("utf-8").splitlines()
                 if '"event": "run"' in line]
    assert [r["run"] for r in file_runs] == [r["run"] for r in runs]

    # status: the totals, the last run, and the next run the stopped daemon stored.
    st = status_json(sources, db)["daily"]
    assert STATUS_FIELDS <= set(st)
    assert st["runs"] == len(runs) and st["failures"] == 0 and not st["failing"]
    assert st["last_status"] == "ok" and (st["articles"], st["claims"]) == (3, 3)
    assert st["last_run_end"] is not None and st["next_run"] == runs[-1]["next_run"]


def test_sigterm_during_a_crawl_exits_cleanly_and_the_next_start_resumes(tmp_path, daemons):
    # a4 answers after 4 s: the crawl is still going when the SIGTERM arrives, and Scrapy's
    # graceful shutdown lets that request finish.
    site_dir = write_site(tmp_path / "site", [1, 2, 3, 4, 5, 6], routes='["/news/a4.html"]\ndelay = 4.0\n')
    slow = {"COMPUTEWATCH_FETCH_TIMEOUT": "8"}
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(site_dir) as site:
        sources = write_sources(tmp_path / "sources.toml", listing_source("daily", site.base_url, "4s"))
        d = daemons(tmp_path, sources, db, env=slow)
        # Stop as soon as the first pages are stored (extraction running, a4 still in flight).
        wait_for(lambda: query(db, "SELECT COUNT(*) FROM pages")[0][0] >= 1
                 if (tmp_path / "cw.db").exists() else False, 45, "the first stored pages", step=0.05)
        running = run_rows(db, "daily")
        assert running and running[-1][1] == "running"
        child = running[-1][5]
        code, took = d.stop()
        assert code == 0, d.text()
        assert took < 40, took
        assert not alive(child)

        # The run is closed as interrupted; no article is stored without its claim, no page is
        # marked processed without what it produced.
        rows = run_rows(db, "daily")
        assert [r[1] for r in rows] == ["interrupted"], rows
        assert [r["status"] for r in d.runs()] == ["interrupted"]
        assert query(db, """SELECT COUNT(*) FROM articles a WHERE a.relevant = :t AND
                            (SELECT COUNT(*) FROM claims c WHERE c.article_id = a.id) <> 1""",
                     t=True) == [(0,)]
        assert query(db, """SELECT COUNT(*) FROM pages p WHERE (p.processed_version IS NULL) <>
                            (p.article_id IS NULL)""") == [(0,)]
        # (Pages the worker had not reached are left unprocessed: the next crawl takes them.)

        # The next start keeps the stored job and its next run time (or, if that passed while no
        # daemon ran, runs it at once), and the run finishes the work.
        stored_next = d.runs()[-1]["next_run"]
        assert stored_next is not None
        d2 = daemons(tmp_path, sources, db, name="again", env=slow)
        boot = d2.events("daemon started")[0]
        assert (boot["kept"], boot["added"], boot["removed"]) == (1, 0, 0), boot
        wait_for(lambda: query(db, "SELECT COUNT(*) FROM claims")[0][0] >= 6, 60, "all six claims")
        wait_for(lambda: any(r["status"] == "ok" for r in d2.runs()), 30, "an ok run")
        first = d2.runs()[0]
        if boot["overdue"]:
            assert ts(first["scheduled_at"]) - ts(boot["time"]) < timedelta(seconds=3)
        else:
            assert first["scheduled_at"] == stored_next
        code, _ = d2.stop()
        assert code == 0, d2.text()

        assert query(db, "SELECT COUNT(*), COUNT(DISTINCT url) FROM pages") == [(6, 6)]
        assert query(db, "SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM articles") == [(6, 6)]
        assert query(db, "SELECT COUNT(*), COUNT(DISTINCT subject) FROM claims") == [(6, 6)]
        assert query(db, "SELECT COUNT(*) FROM pages WHERE outcome IS NULL OR outcome = 'error'") == [(0,)]
        assert "Traceback" not in d.text() + d2.text()

        # Pages an older extractor read: the next start reprocesses them, with no crawl alongside.
        good = query(db, "SELECT subject, value FROM claims ORDER BY subject")
        version = query(db, "SELECT DISTINCT processed_version FROM pages")
        import sqlalchemy as sa
        engine = sa.create_engine(db)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE claims SET value = value + 1, extractor_version = '0.9-old'"))
            conn.execute(sa.text("UPDATE pages SET processed_version = '0.9-old'"))
        engine.dispose()
        d3 = daemons(tmp_path, sources, db, name="upgraded", env=slow)
        assert d3.events("daemon started")[0]["reprocess_pages"] == 6
        done = wait_for(lambda: d3.events("reprocess"), 60, "the reprocess job")[0]
        # The daemon's worker and the reprocess job share the pending pages (leases: none twice).
        assert done["status"] == "ok" and done["pages"] <= 6 and done["exit_code"] == 0, done
        wait_for(lambda: query(db, "SELECT COUNT(*) FROM pages WHERE processed_version = '0.9-old'")
                 == [(0,)], 60, "every page reprocessed")
        assert query(db, "SELECT subject, value FROM claims ORDER BY subject") == good
        assert query(db, "SELECT DISTINCT processed_version FROM pages") == version
        begun = ts(done["started_at"])
        ended = begun + timedelta(seconds=done["seconds"])
        for r in d3.runs():                       # crawls ran before or after it, not during
            r_start = ts(r["started_at"])
            r_end = r_start + timedelta(seconds=r["seconds"])
            assert r_end <= begun or r_start >= ended, (r, done)
        code, _ = d3.stop()
        assert code == 0, d3.text()


def test_a_failing_source_backs_off_while_the_other_goes_on(tmp_path, daemons):
    site_dir = write_site(tmp_path / "site", [1], routes='["/down/"]\nstatus = 500\n')
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(site_dir) as site:
        good = listing_source("good", site.base_url, "2s")
        bad = listing_source("bad", site.base_url, "2s", path="/down/")
        sources = write_sources(tmp_path / "sources.toml", good, bad)
        d = daemons(tmp_path, sources, db, log_format="text")

        def kv_runs(source):
            return [line for line in d.text().splitlines()
                    if " computewatch.daemon run " in line and f" source={source} " in line]

        wait_for(lambda: len(kv_runs("bad")) >= 3, 60, "three failed runs of the bad source")
        st = status_json(sources, db)
        wait_for(lambda: len(kv_runs("good")) >= 4, 30, "four runs of the good source")
        bad_runs, good_runs = kv_runs("bad"), kv_runs("good")

        # The text log: one key=value line per run.
        assert all(" status=failed " in line and " exit_code=3 " in line for line in bad_runs), bad_runs
        assert all(" status=ok " in line for line in good_runs), good_runs

        # The database: the waits after each failure grow (2 s slot, then 4 s, then 8 s).
        fields = [dict(kv.split("=", 1) for kv in line.split() if "=" in kv) for line in bad_runs]
        waits = [(ts(f["next_run"]) - ts(f["started_at"])).total_seconds() - float(f["seconds"])
                 for f in fields]
        assert [int(f["failures"]) for f in fields[:3]] == [1, 2, 3]
        assert waits[0] <= 2.0 + 0.2 + 0.5                  # one failure: the ordinary slot
        assert 4.0 - 0.5 <= waits[1] <= 4.0 + 1.0          # + the run's bookkeeping
        assert 8.0 - 0.5 <= waits[2] <= 8.0 + 1.0
        starts = [ts(f["started_at"]) for f in fields]
        assert (starts[2] - starts[1]) > (starts[1] - starts[0]) or waits[1] > waits[0]

        # ... while the good source kept its schedule, including during the backoff.
        good_starts = [ts(dict(kv.split("=", 1) for kv in line.split() if "=" in kv)["started_at"])
                       for line in good_runs]
        assert any(starts[1] < t < starts[2] for t in good_starts), (good_starts, starts)

        # status says so.
        assert st["bad"]["failing"] is True and st["bad"]["consecutive_failures"] >= 2
        assert st["bad"]["last_status"] == "failed" and st["bad"]["failures"] >= 2
        assert st["good"]["failing"] is False and st["good"]["last_status"] == "ok"
        assert (st["good"]["articles"], st["good"]["claims"]) == (1, 1)

        # SIGHUP: the bad source removed, the good one's interval changed.
        write_sources(sources, {**good, "interval": "5s"})
        d.signal(signal.SIGHUP)
        wait_for(lambda: " sources reloaded " in d.text(), 20, "the reload")
        reload_line = next(line for line in d.text().splitlines() if " sources reloaded " in line)
        assert "removed=1" in reload_line and "changed=1" in reload_line, reload_line
        after = status_json(sources, db)
        assert after["bad"]["configured"] is False and after["bad"]["next_run"] is None
        code, _ = d.stop()
    assert code == 0, d.text()
    assert "Traceback" not in d.text()


# --- start-up errors, status, lock ------------------------------------------------------------

def test_daemon_refuses_bad_sources_and_in_memory_database(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("include_defaults = false\n[[source]]\nname = 'x'\nlang = 'en'\n"
                      "start_urls = ['http://127.0.0.1:9/']\ninterval = 'often'\n", "utf-8")
    result = subprocess.run([COMPUTEWATCH, "daemon", "--sources", str(broken), "--db",
                             f"sqlite:///{tmp_path / 'x.db'}"], capture_output=True, text=True,
                            env=cli_env(), timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("computewatch: error: ") and "interval" in result.stderr
    assert result.stderr.count("\n") == 1

    ok = write_sources(tmp_path / "ok.toml", listing_source("x", "http://127.0.0.1:9", "1h"))
    result = subprocess.run([COMPUTEWATCH, "daemon", "--sources", str(ok), "--db", "sqlite://"],
                            capture_output=True, text=True, env=cli_env(), timeout=60)
    assert result.returncode == 2 and "in-memory" in result.stderr, result.stderr


def test_status_before_any_daemon_lists_the_configured_sources(tmp_path):
    sources = write_sources(tmp_path / "s.toml", listing_source("a", "http://127.0.0.1:9", "6h"),
                            {**listing_source("b", "http://127.0.0.1:9", "1h"), "enabled": False})
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    st = status_json(sources, db)
    assert list(st) == ["a", "b"]
    for row in st.values():
        assert STATUS_FIELDS <= set(row)
        assert (row["runs"], row["failures"], row["articles"], row["claims"]) == (0, 0, 0, 0)
        assert row["last_status"] is None and row["next_run"] is None and row["last_run_end"] is None
    assert st["a"]["schedule"] == "every 6h" and st["b"]["enabled"] is False
    table = run_cli("status", "--sources", str(sources), "--db", db)
    assert table.returncode == 0 and "no daemon running" in table.stdout and "never" in table.stdout


# --- the pieces, in process -------------------------------------------------------------------

def test_backoff_doubles_after_the_first_failure_and_is_capped():
    from schedules import backoff

    assert [backoff.delay(n, 3) for n in range(6)] == [3, 3, 6, 12, 24, 48]
    assert backoff.delay(50, 3) == 96 == backoff.delay(10**6, 3)            # 32 intervals
    assert backoff.delay(10, 6 * 3600) == 24 * 3600                          # a day at most
    assert backoff.delay(10, 2 * 86400) == 2 * 86400                         # never below the interval
    assert backoff.consecutive_failures(["failed", "killed", "ok", "failed"]) == 2
    assert backoff.consecutive_failures(["running", "failed", "interrupted", "failed", "ok"]) == 2
    assert backoff.consecutive_failures(["ok", "failed"]) == 0
    assert backoff.consecutive_failures([]) == 0


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace():
    from schedules.jobs import supervise

    stubborn = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                "signal.SIG_IGN); print('started', flush=True); time.sleep(60)"]
    stopping, killing = threading.Event(), threading.Event()
    t0 = time.monotonic()
    result = supervise(stubborn, dict(os.environ), time_limit=1.0, grace=1.0,
                       stopping=stopping, killing=killing)
    assert result.stop_reason == "time limit" and result.killed
    assert result.exit_code == -signal.SIGKILL
    assert 1.9 <= time.monotonic() - t0 < 6
    assert "started" in result.output

    # A stop request: SIGTERM at once, and a child that obeys is not killed.
    polite = [sys.executable, "-c", "import time; time.sleep(60)"]
    stopping.set()
    result = supervise(polite, dict(os.environ), time_limit=60, grace=5, stopping=stopping,
                       killing=killing)
    assert result.stop_reason == "daemon stopping" and not result.killed
    assert result.exit_code == -signal.SIGTERM and result.seconds < 3


def test_sync_adds_changes_keeps_and_removes_jobs(tmp_path):
    from computewatch import settings
    from crawler.sources import load
    from schedules import jobs
    from schedules.daemon import Daemon, _Executor, _Scheduler
    from apscheduler.jobstores.memory import MemoryJobStore
    from storage.db import open_database

    db = f"sqlite:///{tmp_path / 'cw.db'}"
    conf = settings.load(db=db)
    database = open_database(db)
    daemon = Daemon(conf, database, lock=None)
    base = "http://127.0.0.1:9"

    def scheduler():
        sch = _Scheduler(jobstores={"default": MemoryJobStore()},
                         executors={"default": _Executor(2, daemon.rt)}, timezone=timezone.utc)
        daemon.scheduler = daemon.rt.scheduler = sch
        sch.start(paused=True)                   # nothing runs: only the store is exercised
        return sch

    sch = scheduler()
    first = write_sources(tmp_path / "s.toml", listing_source("a", base, "1h"),
                          {"name": "b", "lang": "en", "start_urls": [base + "/"], "cron": "0 */6 * * *"},
                          {**listing_source("c", base, "1h"), "enabled": False})
    assert daemon.sync(load(first)) == {"added": 2, "changed": 0, "removed": 0, "kept": 0, "overdue": 0}
    a_next = sch.get_job("crawl:a").next_run_time
    assert sorted(j.id for j in sch.get_jobs()) == ["crawl:a", "crawl:b"]
    assert sch.get_job("crawl:a").func is jobs.crawl and sch.get_job("crawl:a").args == ("a",)
    assert sch.get_job("crawl:b").trigger.jitter == 60           # a tenth of 6 h, capped
    sch.shutdown(wait=False)

    # A restart with the same file keeps the stored schedules and their next run times (plain
    # schedule_state rows).
    assert sorted(query(db, "SELECT source, schedule FROM schedule_state")) == \
        [("a", "interval 3600.0"), ("b", "cron cron[month='*', day='*', day_of_week='*', hour='*/6', minute='0']")]
    sch = scheduler()
    assert daemon.sync(load(first), jobs.load_state(database))["kept"] == 2
    assert sch.get_job("crawl:a").next_run_time == a_next
    assert sch.get_job("crawl:a").trigger.start_date == a_next           # the same grid

    # a's interval changes, b is disabled, c enabled, d new.
    second = write_sources(tmp_path / "s.toml", listing_source("a", base, "30m"),
                           {"name": "b", "lang": "en", "start_urls": [base + "/"],
                            "cron": "0 */6 * * *", "enabled": False},
                           listing_source("c", base, "1h"), listing_source("d", base, "15s"))
    assert daemon.sync(load(second)) == {"added": 2, "changed": 1, "removed": 1, "kept": 0, "overdue": 0}
    assert sorted(j.id for j in sch.get_jobs()) == ["crawl:a", "crawl:c", "crawl:d"]
    assert sch.get_job("crawl:a").trigger.interval_length == 1800
    assert sch.get_job("crawl:d").trigger.jitter == 1.5
    assert sch.get_job("crawl:d").misfire_grace_time == 30
    assert sorted(r[0] for r in query(db, "SELECT source FROM schedule_state")) == ["a", "c", "d"]
    sch.shutdown(wait=False)
    database.dispose()


def test_the_lock_refuses_a_second_holder_and_is_released(tmp_path):
    from schedules.lock import AlreadyRunning, DaemonLock, holder
    from storage.db import open_database

    database = open_database(f"sqlite:///{tmp_path / 'cw.db'}")
    _lock_round_trip(database, AlreadyRunning, DaemonLock, holder)


@pytest.mark.postgres
def test_the_lock_on_postgresql(pg_url):
    from schedules.lock import AlreadyRunning, DaemonLock, holder
    from storage.db import open_database

    database = open_database(pg_url)
    _lock_round_trip(database, AlreadyRunning, DaemonLock, holder)


def _lock_round_trip(database, AlreadyRunning, DaemonLock, holder):
    assert holder(database) is None
    first, second = DaemonLock(database), DaemonLock(database)
    first.acquire()
    try:
        assert f"pid {os.getpid()}" in holder(database)
        with pytest.raises(AlreadyRunning) as refused:
            second.acquire()
        assert f"pid {os.getpid()}" in str(refused.value) and "already running" in str(refused.value)
        assert first.verify()
    finally:
        first.release()
    assert holder(database) is None
    second.acquire()
    second.release()
    database.dispose()
