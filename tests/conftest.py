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


import pytest  # noqa: E402

PG_URL = os.environ.get("COMPUTEWATCH_TEST_PG_URL")


def _fresh_pg_database() -> tuple[str, callable]:
    """A new, empty PostgreSQL database on the test server, and how to drop it."""
    from pg_helpers import fresh_pg_database

    return fresh_pg_database(PG_URL)


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
