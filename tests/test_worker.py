"""The processing queue and its workers (`computewatch worker`), with real processes and databases.

Pages are stored as the crawler stores them (tests/queue_helpers.py); workers are the real
command, killed with real signals; the PostgreSQL cases share one real server between workers.
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from crawl_helpers import ROOT, cli_env, query, run_cli
from queue_helpers import store_synthetic_pages


def worker_cmd(db: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "computewatch.cli", "worker", "--db", db, *extra]


def processed_count(out: str) -> int:
    m = re.search(r"processed (\d+) page", out)
    assert m, out
    return int(m.group(1))


def done(db: str) -> int:
    return query(db, "SELECT COUNT(*) FROM pages WHERE processed_version IS NOT NULL")[0][0]


def assert_each_page_once(db: str, n: int) -> None:
    assert query(db, "SELECT COUNT(*) FROM pages WHERE processed_version IS NULL "
                     "OR lease_owner IS NOT NULL")[0][0] == 0
    assert query(db, "SELECT outcome, COUNT(*) FROM pages GROUP BY outcome") == [("article", n)]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT first_page_id) FROM articles")[0] == (n, n)
    dupes = query(db, """SELECT COUNT(*) FROM (SELECT article_id, kind, start, "end" FROM claims
                         GROUP BY article_id, kind, start, "end" HAVING COUNT(*) > 1) d""")
    assert dupes == [(0,)]


def test_a_killed_workers_pages_come_back_and_each_is_done_once(db_url):
    """Its process gone from this host, at once; as a worker of another host, after its lease."""
    import sqlalchemy as sa

    n = 60
    store_synthetic_pages(db_url, n)
    env = cli_env({"COMPUTEWATCH_WORKER_LEASE": "120"})
    first = subprocess.Popen(worker_cmd(db_url, "--batch", "40"), env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 120
        while done(db_url) < 5 and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    by_first = done(db_url)
    assert 5 <= by_first < n
    held = query(db_url, "SELECT COUNT(*) FROM pages WHERE lease_owner IS NOT NULL")[0][0]
    assert held > 1                             # its batch is still leased to the dead worker
    # Half of the batch as if leased by a worker of another host that died: nobody here can tell
    # it ended, so those pages wait for their lease (4 s).
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        elsewhere = conn.execute(sa.text(
            "UPDATE pages SET lease_owner = 'elsewhere:1:feedbeef', lease_until = :t "
            "WHERE lease_owner IS NOT NULL AND id % 2 = 0"),
            {"t": datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=4)}).rowcount
    engine.dispose()
    assert 0 < elsewhere < held
    started = time.monotonic()
    second = run_cli("worker", "--once", "--db", db_url)
    took = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    assert processed_count(second.stdout) == n - by_first
    assert f"{held - elsewhere} page(s) leased by workers that died handed back" in second.stderr
    assert 4 <= took < 100, took       # the other host's lease waited for, not the dead one's
    assert_each_page_once(db_url, n)
    # The page in hand when it was killed counts one attempt, then done: not an error.
    assert query(db_url, "SELECT MAX(attempts) FROM pages") == [(0,)]


def test_a_worker_killed_while_loading_its_models_has_died_on_no_page(tmp_path):
    """Loading spaCy and jieba takes seconds at a worker's start: kills then are no page's fault.
    Killed twice there, the first page of the batch was given up as `error` (fault trials)."""
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    n = 5
    store_synthetic_pages(db, n)
    env = cli_env({"COMPUTEWATCH_WORKER_LEASE": "1"})
    for _ in range(2):
        proc = subprocess.Popen(worker_cmd(db, "--batch", "40"), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end and not query(
                    db, "SELECT 1 FROM pages WHERE lease_owner IS NOT NULL AND lease_until > :t",
                    t=datetime.now(timezone.utc).replace(tzinfo=None)):
                time.sleep(0.02)
            time.sleep(0.3)                   # the batch is leased: the models are loading
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert done(db) == 0                  # killed before any page was processed ...
        assert query(db, "SELECT MAX(attempts) FROM pages") == [(0,)]   # ... and none attempted
        time.sleep(1.1)                       # its lease runs out
    result = run_cli("worker", "--once", "--db", db)
    assert result.returncode == 0, result.stderr
    assert_each_page_once(db, n)


@pytest.mark.postgres
def test_two_workers_on_postgresql_share_500_pages_without_doing_one_twice(pg_url):
    n = 500
    store_synthetic_pages(pg_url, n)
    procs = [subprocess.Popen(worker_cmd(pg_url, "--once", "--batch", "10"), env=cli_env(),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = [processed_count(out) for out, _ in outs]
    assert sum(counts) == n and min(counts) > 0, counts
    assert_each_page_once(pg_url, n)


def test_a_disabled_or_removed_sources_pages_are_still_processed(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    store_synthetic_pages(db, 5, source="since-removed")
    result = run_cli("worker", "--once", "--db", db)
    assert result.returncode == 0, result.stderr
    assert processed_count(result.stdout) == 5
    assert_each_page_once(db, 5)


def test_a_page_that_crashed_the_worker_twice_is_marked_error_with_the_reason(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    ids = store_synthetic_pages(db, 3)
    import sqlalchemy as sa
    engine = sa.create_engine(db)
    with engine.begin() as conn:       # what two workers that died reading it leave behind
        conn.execute(sa.text("UPDATE pages SET attempts = 2, lease_owner = 'dead', "
                             "lease_until = '2000-01-01 00:00:00' WHERE id = :i"), {"i": ids[0]})
        conn.execute(sa.text("UPDATE pages SET attempts = 1 WHERE id = :i"), {"i": ids[1]})
    engine.dispose()
    result = run_cli("worker", "--once", "--db", db)
    assert result.returncode == 0, result.stderr
    rows = dict((r[0], r[1:]) for r in query(db, "SELECT id, outcome, outcome_detail, attempts FROM pages"))
    assert rows[ids[0]][0] == "error" and "died reading this page 2 times" in rows[ids[0]][1]
    assert rows[ids[1]][0] == "article" and rows[ids[2]][0] == "article"   # one death is forgiven
    assert {r[2] for r in rows.values()} == {0}
    # Given up for this extractor version: not pending, not retried.
    assert "processed 0 page" in run_cli("worker", "--once", "--db", db).stdout


@pytest.mark.postgres
def test_a_database_fault_hands_pages_back_never_marks_them_error(pg_url):
    """The worker's connections are cut again and again mid-batch (as a server restart does)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    n = 80
    store_synthetic_pages(pg_url, n)
    proc = subprocess.Popen(worker_cmd(pg_url, "--once", "--batch", "10"), env=cli_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    name = make_url(pg_url).database
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    cuts = 0
    try:
        end = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < end and cuts < 4:
            if done(pg_url) >= 10 * (cuts + 1):
                with admin.connect() as conn:
                    cuts += conn.execute(sa.text(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :d AND pid <> pg_backend_pid() "
                        "AND application_name NOT LIKE 'pytest%'"), {"d": name}).scalar() and 1
            time.sleep(0.05)
        out, err = proc.communicate(timeout=600)
    finally:
        admin.dispose()
    assert proc.returncode == 0, err
    assert cuts >= 1
    assert_each_page_once(pg_url, n)
    assert query(pg_url, "SELECT MAX(attempts) FROM pages") == [(0,)]


def test_reprocess_marks_pages_pending_and_the_queue_shows_in_status(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    store_synthetic_pages(db, 4)
    status = run_cli("status", "--db", db, "--format", "json")
    assert status.returncode == 0, status.stderr
    assert "queue: 4 page(s) pending" in run_cli("status", "--db", db).stdout
    assert run_cli("worker", "--once", "--db", db).returncode == 0
    again = run_cli("reprocess", "--all", "--db", db)
    assert again.returncode == 0, again.stderr
    assert "reprocessed 4 page(s)" in again.stdout
    assert_each_page_once(db, 4)
    assert "queue: 0 page(s) pending" in run_cli("status", "--db", db).stdout
