"""Shared test setup: the tests folder is importable (conformance_eval), and paths to shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
SHARED = TESTS.parent.parent / "shared"

# Scrapy (through tldextract) must never try to download the public suffix list.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


# --------------------------------------------------------------------------- databases

import uuid  # noqa: E402

import pytest  # noqa: E402

PG_URL = os.environ.get("COMPUTEWATCH_TEST_PG_URL")


def _fresh_pg_database() -> tuple[str, callable]:
    """A new, empty PostgreSQL database on the test server, and how to drop it."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"cw_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), drop


def _require_pg():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI run without COMPUTEWATCH_TEST_PG_URL: run the tests through `make test`")
        pytest.skip("no PostgreSQL: run through `make test` (scripts/with-services.sh starts one)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh empty database: a SQLite file, then (same test again) a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'computewatch.db'}"
        return
    _require_pg()
    url, drop = _fresh_pg_database()
    yield url
    drop()


@pytest.fixture
def pg_url():
    _require_pg()
    url, drop = _fresh_pg_database()
    yield url
    drop()
