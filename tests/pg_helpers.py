"""A throw-away PostgreSQL database on a running server: for the tests (conftest.py) and the
benchmarks that run on PostgreSQL (bench/scale_bench.py, bench/fault_trials.py)."""
from __future__ import annotations

import uuid


def fresh_pg_database(server_url: str, prefix: str = "cw") -> tuple[str, callable]:
    """A new, empty database on the server `server_url` names: its URL, and how to drop it."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop
