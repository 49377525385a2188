"""The daemon under hostile database contents and infrastructure faults (issue 13: items 9, 11,
12, 13, 14 and the daemon's file modes): real daemon processes, real SQLite files, a real
PostgreSQL (the shared test server, and one started here to be restarted)."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from crawl_helpers import ROOT, cli_env, query, run_cli
from test_daemon import (COMPUTEWATCH, DAEMON_ENV, alive, daemons, listing_source,  # noqa: F401
                         run_rows, wait_for, write_site, write_sources)
from computewatch.localsite import LocalSite

DEAD = "http://127.0.0.1:9"          # nothing listens there: a run fails at once


class _Shell:
    """A pickle that runs a shell command when it is loaded."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _plant_pickled_jobs(url: str, marker: Path) -> None:
    """APScheduler's job-store table, as daemons before 0005 made it, with a row whose pickle
    touches `marker` when unpickled."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS scheduler_jobs (id VARCHAR(191) PRIMARY KEY, "
                             "next_run_time FLOAT, job_state BYTEA)".replace(
                                 "BYTEA", "BYTEA" if url.startswith("postgresql") else "BLOB")))
        conn.execute(sa.text("INSERT INTO scheduler_jobs VALUES (:i, :t, :s)"),
                     {"i": "crawl:x", "t": time.time() - 5, "s": pickle.dumps(_Shell(f"touch {marker}"))})
    engine.dispose()


# --- item 9: no code runs from database contents --------------------------------------------------

def test_a_pickled_job_in_the_database_is_never_run(tmp_path, db_url, daemons):
    from alembic import command

    from storage.db import _alembic_config, create

    marker = tmp_path / "pwned"
    sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "1h"))

    # A database as the previous version left it (0001, and APScheduler's table with a hostile
    # row): the upgrade drops the table unread.
    engine = create(db_url)
    command.upgrade(_alembic_config(engine), "0001")
    engine.dispose()
    _plant_pickled_jobs(db_url, marker)
    d = daemons(tmp_path, sources, db_url)
    assert not marker.exists()
    assert not sa.inspect(sa.create_engine(db_url)).has_table("scheduler_jobs")
    assert d.events("daemon started")[0]["added"] == 1

    # Written again after the upgrade, by anyone who can write a row: still never read.
    code, _ = d.stop()
    assert code == 0, d.text()
    _plant_pickled_jobs(db_url, marker)
    # schedule_state is plain data: a hostile value is only a schedule that differs.
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schedule_state SET schedule = :s"),
                     {"s": f"__import__('os').system('touch {marker}')"})
    engine.dispose()
    d2 = daemons(tmp_path, sources, db_url, name="again")
    code, _ = d2.stop()
    assert code == 0, d2.text()
    assert not marker.exists()
    assert d2.events("daemon started")[0]["changed"] == 1
    st = run_cli("status", "--format", "json", "--sources", str(sources), "--db", db_url)
    assert st.returncode == 0 and not marker.exists()
    assert "Traceback" not in d.text() + d2.text()


# --- item 13: disk full, read-only, locked: one line, exit 2, the run failed, data intact ----------

def big_site(root: Path, n: int = 60) -> Path:
    """n article pages of ~12 KB of incompressible text each behind one listing page."""
    (root / "news").mkdir(parents=True)
    (root / "list").mkdir()
    rnd = __import__("random").Random(13)
    for i in range(n):
        words = " ".join(f"{rnd.getrandbits(40):010x}" for _ in range(1100))
        (root / "news" / f"p{i}.html").write_text(
            f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
            f"<p>Meta will spend ${i + 1} billion on AI data centers this year.</p><p>{words}</p>"
            "</article></body></html>", "utf-8")
    links = "".join(f'<li><a href="/news/p{i}.html">p{i}</a></li>' for i in range(n))
    (root / "list" / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", "utf-8")
    return root


def _one_line_error(stderr: str, db_path: str, *words: str) -> str:
    errors = [ln for ln in stderr.splitlines() if ln.startswith("computewatch: error: ")]
    assert len(errors) == 1, stderr[-3000:]
    line = errors[0]
    assert db_path in line and all(w in line for w in words), line
    # (the extraction worker, another process, may log its own traceback: processing.py)
    return line


def _intact(db: str) -> None:
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) - COUNT(DISTINCT url) FROM pages") == [(0,)]


def _crawl(db: str, sources: Path, preexec=None, env=None, timeout: float = 240):
    return subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "computewatch", "crawl",
                           "--sources", str(sources), "--db", db], capture_output=True, text=True,
                          env=cli_env(env), cwd=ROOT, timeout=timeout, preexec_fn=preexec)


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MB tmpfs of our own (root only: skipped elsewhere), unmounted afterwards."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.parametrize("how", ["file_size_limit", "tmpfs"])
def test_disk_full_mid_crawl_fails_the_run_in_one_line(tmp_path, how, request):
    import resource

    where = request.getfixturevalue("tmpfs") if how == "tmpfs" else tmp_path
    path = where / "cw.db"
    db = f"sqlite:///{path}"
    assert run_cli("db", "upgrade", "--db", db).returncode == 0
    preexec = None
    if how == "file_size_limit":
        # No file of the crawl may grow past the database's size + 150 KB (~15 pages): SQLite's
        # writes fail as on a full disk (SIGXFSZ ignored so write() returns EFBIG).
        limit = path.stat().st_size + 150_000

        def preexec():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    n = 60 if how == "file_size_limit" else 200          # 200 pages do not fit in 1 MB
    with LocalSite(big_site(tmp_path / "site", n)) as site:
        sources = write_sources(tmp_path / "s.toml", listing_source("big", site.base_url, "1h"))
        result = _crawl(db, sources, preexec=preexec)
    assert result.returncode == 2, result.stderr[-3000:]
    line = _one_line_error(result.stderr, str(path), "disk")
    runs = query(db, "SELECT status, message FROM crawl_runs")
    if "could not be closed" in line:       # not even that write fitted: the next run closes it
        assert [r[0] for r in runs] == ["running"], runs
    else:
        assert [r[0] for r in runs] == ["failed"] and "disk" in runs[0][1], runs
    _intact(db)
    stored = query(db, "SELECT COUNT(*) FROM pages")[0][0]
    assert 0 < stored < n, stored                  # what was written before the fault is kept


def test_a_read_only_database_is_one_line_and_exit_2(tmp_path, tmpfs):
    path = tmpfs / "cw.db"
    db = f"sqlite:///{path}"
    assert run_cli("db", "upgrade", "--db", db).returncode == 0
    before = query(db, "SELECT COUNT(*) FROM entities")
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "1h"))
    result = _crawl(db, sources)
    assert result.returncode == 2, result.stderr
    _one_line_error(result.stderr, str(path))
    assert "Traceback" not in result.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    _intact(db)
    assert query(db, "SELECT COUNT(*) FROM entities") == before


def test_a_lock_held_at_start_is_one_line_and_exit_2(tmp_path):
    import sqlite3

    path = tmp_path / "cw.db"
    db = f"sqlite:///{path}"
    assert run_cli("db", "upgrade", "--db", db).returncode == 0
    sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "1h"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env = {"COMPUTEWATCH_DB_BUSY_TIMEOUT": "1"}
        t0 = time.monotonic()
        result = _crawl(db, sources, env=env)
        assert result.returncode == 2, result.stderr
        _one_line_error(result.stderr, str(path), "lock")
        assert "Traceback" not in result.stderr and time.monotonic() - t0 < 60
        daemon = subprocess.run([COMPUTEWATCH, "daemon", "--sources", str(sources), "--db", db],
                                capture_output=True, text=True, env=cli_env(env), timeout=120)
        assert daemon.returncode == 2, daemon.stderr
        _one_line_error(daemon.stderr, str(path), "lock")
        assert "Traceback" not in daemon.stderr
    finally:
        holder.rollback()
        holder.close()
    _intact(db)
    assert query(db, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_the_database_file_deleted_mid_crawl_is_one_line_and_exit_2(tmp_path, how):
    from test_crawl_interrupt import slow_site

    n = 20
    slow_site(tmp_path / "site", n, delay=0.3)           # 2 in flight: about 3 s of fetching
    path = tmp_path / "cw.db"
    db = f"sqlite:///{path}"
    env = {"COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "2"}
    with LocalSite(tmp_path / "site") as site:
        sources = write_sources(tmp_path / "s.toml", {
            "name": "gone", "lang": "en", "sitemaps": [f"{site.base_url}/sitemap.xml"],
            "interval": "1h"})
        crawl = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "computewatch", "crawl",
                                  "--sources", str(sources), "--db", db], cwd=ROOT,
                                 env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: _stored(db) >= 3, 60, "the first pages stored")
            for f in tmp_path.glob("cw.db*"):
                f.unlink()
            if how == "replaced":               # another, empty database under the same name
                assert run_cli("db", "upgrade", "--db", db).returncode == 0
            _, err = crawl.communicate(timeout=120)
        finally:
            crawl.kill()
        assert crawl.returncode == 2, err[-3000:]
        line = _one_line_error(err, str(path), "deleted or replaced during the crawl")
        assert "nothing of this crawl was kept" in line and "Traceback" not in err
        if how == "replaced":                   # the crawl wrote nothing into the new file
            assert query(db, "SELECT COUNT(*) FROM pages") == [(0,)]
        again = _crawl(db, sources, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    _intact(db)
    _stored_once(db)
    assert query(db, "SELECT COUNT(*), COUNT(processed_version) FROM pages") == [(n, n)]
    assert query(db, "SELECT status FROM crawl_runs") == [("ok",)]


# --- item 12: children die with the daemon; a live old crawl is not doubled ------------------------

def _group(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(entry))
    return out


def test_crawl_children_die_when_the_daemon_is_killed(tmp_path, daemons):
    # a2 answers after 300 s: the crawl hangs in it, far past the test.
    site_dir = write_site(tmp_path / "site", [1, 2, 3], routes='["/news/a2.html"]\ndelay = 300.0\n')
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(site_dir) as site:
        sources = write_sources(tmp_path / "s.toml", listing_source("daily", site.base_url, "1h"))
        d = daemons(tmp_path, sources, db, env={"COMPUTEWATCH_FETCH_TIMEOUT": "400"})
        rows = wait_for(lambda: [r for r in run_rows(db, "daily") if r[1] == "running"]
                        if (tmp_path / "cw.db").exists() else None, 60, "the crawl to start")
        child = rows[0][5]
        # The crawl fetches only; the daemon's own worker processes what it stores.
        import psutil

        def workers():
            return [c.pid for c in psutil.Process(d.proc.pid).children(recursive=True)
                    if "worker" in " ".join(c.cmdline())]
        wait_for(lambda: workers(), 60, "the daemon's extraction worker")
        members = _group(child) + workers()
        t0 = time.monotonic()
        d.proc.kill()                                    # SIGKILL: no handler runs
        d.proc.wait(10)
        wait_for(lambda: not any(alive(p) for p in members), 60,
                 f"the crawl's process group and the worker {members} to die")
        took = time.monotonic() - t0
        assert took < 45, took

        # A new daemon closes the dead crawl's run and crawls again.
        d2 = daemons(tmp_path, sources, db, name="again", env={"COMPUTEWATCH_FETCH_TIMEOUT": "2"})
        assert d2.events("daemon started")[0]["abandoned_runs_closed"] in (0, 1)
        wait_for(lambda: d2.runs("daily"), 90, "a run of the new daemon")
        code, _ = d2.stop()
        assert code == 0, d2.text()
    statuses = [r[1] for r in run_rows(db, "daily")]
    assert "running" not in statuses and len(statuses) == 2, statuses


def test_a_new_daemon_does_not_double_a_crawl_that_still_runs(tmp_path, daemons):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    assert run_cli("db", "upgrade", "--db", db).returncode == 0
    # An earlier crawl of the source, still running (its daemon was killed a moment ago).
    old = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c",
                            "import time; time.sleep(120)", "computewatch", "crawl"])
    try:
        engine = sa.create_engine(db)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO crawl_runs (source, started_at, status, pages, "
                                 "new_articles, new_claims, errors, skipped, error_summary, pid) "
                                 "VALUES ('x', CURRENT_TIMESTAMP, 'running', 0, 0, 0, 0, 0, '{}', :p)"),
                         {"p": old.pid})
        engine.dispose()
        sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "2s"))
        d = daemons(tmp_path, sources, db)
        assert d.events("daemon started")[0]["abandoned_runs_closed"] == 0
        wait_for(lambda: len(d.events("crawl not started: an earlier crawl of the source still runs")) >= 2,
                 30, "two refusals")
        assert [r[1] for r in run_rows(db, "x")] == ["running"] and not d.runs("x")
        old.kill()
        old.wait()
        wait_for(lambda: d.runs("x"), 60, "a run once the old crawl is gone")
        code, _ = d.stop()
        assert code == 0, d.text()
    finally:
        old.kill()


# --- item 14: schedules that cannot be built or never fire; a FIFO as the sources file -------------

def test_a_source_whose_schedule_cannot_be_built_or_never_fires_is_skipped(tmp_path, caplog):
    import dataclasses
    import logging
    from datetime import timezone

    from apscheduler.jobstores.memory import MemoryJobStore

    from computewatch import settings
    from crawler.sources import load
    from schedules.daemon import Daemon, _Executor, _Scheduler
    from storage.db import open_database

    db = f"sqlite:///{tmp_path / 'cw.db'}"
    database = open_database(db)
    daemon = Daemon(settings.load(db=db), database, lock=None)
    sch = _Scheduler(jobstores={"default": MemoryJobStore()},
                     executors={"default": _Executor(2, daemon.rt)}, timezone=timezone.utc)
    daemon.scheduler = daemon.rt.scheduler = sch
    sch.start(paused=True)
    ok, huge, never = load(write_sources(tmp_path / "s.toml", listing_source("ok", DEAD, "1h"),
                                         listing_source("huge", DEAD, "1h"),
                                         listing_source("never", DEAD, "1h")))
    # What the loader may let through (crawler/sources.py refuses them, but the daemon must not
    # rely on it): 99999999999999999999 days, and 31 February.
    huge = dataclasses.replace(huge, interval=99999999999999999999 * 86400.0)
    never = dataclasses.replace(never, interval=None, cron="0 0 31 2 *")
    with caplog.at_level(logging.ERROR, logger="computewatch.daemon"):
        counts = daemon.sync([ok, huge, never])
    assert counts["added"] == 1 and [j.id for j in sch.get_jobs()] == ["crawl:ok"]
    skipped = {r.fields["source"]: r.fields["reason"] for r in caplog.records
               if r.getMessage() == "source not scheduled"}
    assert set(skipped) == {"huge", "never"}
    assert "cannot be built" in skipped["huge"] and "never fires" in skipped["never"]
    sch.shutdown(wait=False)
    database.dispose()


def test_a_fifo_as_the_sources_file_never_hangs_the_daemon(tmp_path, daemons):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "1h"))
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    refused = subprocess.run([COMPUTEWATCH, "daemon", "--sources", str(fifo), "--db", db],
                             capture_output=True, text=True, env=cli_env(), timeout=60)
    assert refused.returncode == 2 and "not a regular file" in refused.stderr, refused.stderr
    assert refused.stderr.count("\n") == 1 and time.monotonic() - t0 < 30

    d = daemons(tmp_path, sources, db)
    sources.unlink()
    os.mkfifo(sources)                      # the file becomes a FIFO under the running daemon
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.events("reload failed: the schedule is unchanged"), 20, "the refused reload")
    assert "not a regular file" in d.events("reload failed: the schedule is unchanged")[0]["error"]
    code, took = d.stop(timeout=30)
    assert code == 0 and took < 15, d.text()


# --- item 11: PostgreSQL restarts under the daemon ---------------------------------------------

class OwnPostgres:
    """A throw-away PostgreSQL server started by scripts/pg.sh, to be stopped and started by a
    test (never the shared one): a free port (COMPUTEWATCH_TEST_OWN_PG_PORT to choose one) and a
    data directory of its own, so that test runs side by side do not stop each other's."""

    def __init__(self):
        import socket
        import tempfile

        self.port = os.environ.get("COMPUTEWATCH_TEST_OWN_PG_PORT")
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = str(s.getsockname()[1])
        self.dir = tempfile.mkdtemp(prefix="cw-own-pg-", dir="/tmp")   # the server's user reaches it
        self.url = f"postgresql+psycopg://computewatch@127.0.0.1:{self.port}/computewatch_test"

    def sh(self, *commands: str) -> subprocess.CompletedProcess:
        script = (f"export PG_PORT={self.port} PG_DIR={self.dir}; source {ROOT}/scripts/pg.sh; "
                  + "; ".join(commands))
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=180)

    def ctl(self, action: str) -> None:
        """pg_ctl stop | start, with the options pg_start gave it."""
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        result = self.sh(f'bin="$(pg_bindir)"; pg_as "$bin/pg_ctl" -D {self.dir}/data -l {self.dir}/log '
                         f'-w -t 60 -m fast -o "{opts}" {action}')
        assert result.returncode == 0, result.stderr


@pytest.fixture
def own_pg():
    """A PostgreSQL of our own (OwnPostgres), removed afterwards."""
    if not os.environ.get("COMPUTEWATCH_TEST_PG_URL") and not os.environ.get("CI"):
        pytest.skip("no PostgreSQL for tests here: run through `make test`")
    pg = OwnPostgres()
    started = pg.sh("pg_start")
    if started.returncode != 0:
        pg.sh("pg_stop")
        pytest.skip(f"cannot start a PostgreSQL of our own: {started.stderr.strip()[-300:]}")
    yield pg
    pg.sh("pg_stop")


@pytest.mark.postgres
def test_the_daemon_rides_out_a_postgresql_restart(tmp_path, daemons, own_pg):
    from schedules.lock import holder
    from storage.db import open_database

    site_dir = write_site(tmp_path / "site", [1])
    with LocalSite(site_dir) as site:
        sources = write_sources(tmp_path / "s.toml", listing_source("daily", site.base_url, "3s"))
        d = daemons(tmp_path, sources, own_pg.url)
        wait_for(lambda: any(r["status"] == "ok" for r in d.runs()), 90, "a first ok run")
        own_pg.ctl("stop")
        time.sleep(8)                                   # down across a lock check or two
        write_site(site_dir, [2])
        own_pg.ctl("start")
        back = wait_for(lambda: d.events("database reachable again: lock taken, runs resumed"), 60,
                        "the reconnection")[0]
        assert d.proc.poll() is None, d.text()
        assert d.events("database unreachable: runs paused, reconnecting")
        assert back["away_seconds"] > 0
        wait_for(lambda: any(r["status"] == "ok" and r["new_articles"] == 1 and r["time"] > back["time"]
                             for r in d.runs()), 90, "an ok run after the restart")
        database = open_database(own_pg.url, migrate=False)
        assert holder(database) == f"pid {d.proc.pid} on {os.uname().nodename}"
        database.dispose()
        code, _ = d.stop()
    assert code == 0, d.text()
    assert query(own_pg.url, "SELECT COUNT(*), COUNT(DISTINCT url) FROM pages WHERE url LIKE '%/news/%'") == [(2, 2)]
    assert "Traceback" not in d.text()


# --- item 10 (the daemon's own files): log and lock files 0600, a new log directory 0700 ----------

def test_the_daemon_log_and_lock_files_are_private(tmp_path, daemons):
    import stat

    db_path = tmp_path / "cw.db"
    log_file = tmp_path / "logs" / "deep" / "daemon.log"
    sources = write_sources(tmp_path / "s.toml", listing_source("x", DEAD, "1h"))
    old = os.umask(0o022)                   # the usual umask: files would be 0644
    try:
        d = daemons(tmp_path, sources, f"sqlite:///{db_path}", "--log-file", str(log_file))
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)   # noqa: E731
    assert mode(log_file) == 0o600 and mode(log_file.parent) == 0o700
    assert mode(str(db_path) + ".daemon.lock") == 0o600
    code, _ = d.stop()
    assert code == 0, d.text()


@pytest.mark.postgres
def test_postgresql_going_down_mid_crawl_is_one_line_and_the_next_crawl_finishes(tmp_path, own_pg):
    from test_crawl_interrupt import slow_site

    n = 20
    slow_site(tmp_path / "site", n, delay=0.3)           # 2 in flight: about 3 s of fetching
    env = {"COMPUTEWATCH_CONCURRENCY_PER_DOMAIN": "2"}
    with LocalSite(tmp_path / "site") as site:
        sources = write_sources(tmp_path / "s.toml", {
            "name": "pgdown", "lang": "en", "sitemaps": [f"{site.base_url}/sitemap.xml"],
            "interval": "1h"})
        crawl = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "computewatch", "crawl",
                                  "--sources", str(sources), "--db", own_pg.url], cwd=ROOT,
                                 env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: _stored(own_pg.url) >= 5, 60, "the first pages stored")
            own_pg.ctl("stop")
            t0 = time.monotonic()
            _, err = crawl.communicate(timeout=120)
        finally:
            crawl.kill()
        took = time.monotonic() - t0
        own_pg.ctl("start")
        assert crawl.returncode == 2, err[-3000:]
        _one_line_error(err, f"127.0.0.1:{own_pg.port}", "unreachable")
        assert "Traceback" not in err and took < 30, (took, err)
        stored = _stored(own_pg.url)
        assert 5 <= stored < n
        _stored_once(own_pg.url)

        again = _crawl(own_pg.url, sources, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    _stored_once(own_pg.url)
    assert query(own_pg.url, "SELECT COUNT(*), COUNT(processed_version) FROM pages") == [(n, n)]
    assert query(own_pg.url, "SELECT COUNT(*) FROM articles WHERE relevant") == [(n,)]
    assert query(own_pg.url, "SELECT COUNT(*) FROM claims") == [(2 * n,)]
    # The run the fault cut short is closed (failed if it could still say so, else by the next
    # crawl); none is left running, no lease held.
    runs = query(own_pg.url, "SELECT status FROM crawl_runs ORDER BY id")
    assert [r[0] for r in runs][-1] == "ok" and runs[0][0] in ("failed", "interrupted"), runs
    assert query(own_pg.url, "SELECT COUNT(*) FROM pages WHERE lease_owner IS NOT NULL") == [(0,)]


def _stored(url: str) -> int:
    try:
        return query(url, "SELECT COUNT(*) FROM pages")[0][0]
    except sa.exc.SQLAlchemyError:          # not created yet
        return 0


def _stored_once(url: str) -> None:
    assert query(url, "SELECT COUNT(*) - COUNT(DISTINCT url) FROM pages") == [(0,)]
    assert query(url, "SELECT COUNT(*) - COUNT(DISTINCT content_hash), COUNT(*) - COUNT(DISTINCT "
                      "first_page_id) FROM articles") == [(0, 0)]
    assert query(url, 'SELECT COUNT(*) FROM (SELECT 1 FROM claims GROUP BY article_id, kind, start, '
                      '"end" HAVING COUNT(*) > 1) d') == [(0,)]
