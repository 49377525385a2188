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
