"""Helpers shared by the crawler, storage and daemon tests: run the CLI, read the database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "site"
EXPECTED = json.loads((FIXTURE / "EXPECTED.json").read_text("utf-8"))

# Crawl settings for local sites: no politeness delay, short timeouts, quick retries.
FAST = {
    "COMPUTEWATCH_DOWNLOAD_DELAY": "0",
    "COMPUTEWATCH_AUTOTHROTTLE": "false",
    "COMPUTEWATCH_FETCH_TIMEOUT": "2",
    "COMPUTEWATCH_RETRY_TIMES": "1",
    "COMPUTEWATCH_RETRY_BACKOFF": "0.1",
    "COMPUTEWATCH_MAX_PAGE_BYTES": "5000000",
}


def cli_env(extra: dict | None = None) -> dict:
    """The environment of a user with no config file and no COMPUTEWATCH_* variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update({"COMPUTEWATCH_CONFIG": os.devnull, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"})
    env.update(FAST)
    env.update(extra or {})
    return env


def run_cli(*args: str, env: dict | None = None, timeout: float = 420) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "computewatch.cli", *args], capture_output=True,
                          text=True, env=cli_env(env), timeout=timeout, cwd=ROOT)


def fixture_sources(path: Path, base: str, name: str = "fixture", **overrides) -> Path:
    """A sources file for the fixture site: its feeds, sitemap index and listing page."""
    src = {
        "name": name, "lang": "en",
        "feeds": [f"{base}/feed.xml", f"{base}/atom.xml"],
        "sitemaps": [f"{base}/sitemap_index.xml"],
        "start_urls": [f"{base}/list/"],
        "allow": [r"\.html$"],
        "interval": "1h",
    }
    src.update(overrides)
    lines = ["include_defaults = false", "", "[[source]]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in src.items()]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def query(url: str, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def path_of(url: str) -> str:
    """'/news/x.html' from 'http://127.0.0.1:1234/news/x.html'."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
