"""Hostile and malformed input (issue 13, items 5, 6, 10, 14, 15), through the real CLI.

Each test runs `python -m computewatch.cli` as a subprocess, under a memory limit and a timeout
so that a regression fails the test instead of filling the machine or hanging the suite.
"""
from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crawl_helpers import cli_env

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 3 * 1024 ** 3           # address space of one CLI run: /dev/zero must not fill it

GOOD_TEXT = ("Big Tech keeps buying chips\nMicrosoft said it would spend $80 billion on AI data "
             "centers in fiscal 2025, and Meta plans to buy 350,000 Nvidia H100 GPUs.\n")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli(*args: str, env: dict | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "computewatch.cli", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", errors="replace",
                          env=cli_env(env), cwd=ROOT, timeout=timeout, preexec_fn=_limit_memory)


def show(r: subprocess.CompletedProcess) -> str:
    return (f"\n$ {' '.join(map(str, r.args))}\nexit {r.returncode}\n--- stdout ---\n"
            f"{r.stdout[-2000:]}\n--- stderr ---\n{r.stderr[-3000:]}")


def error_lines(r: subprocess.CompletedProcess) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.strip()]


def one_line_error(r: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert "Traceback" not in r.stderr, show(r)
    assert r.returncode == code, show(r)
    lines = error_lines(r)
    assert len(lines) == 1, show(r)
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in the message" + show(r)
    return lines[0]


# --------------------------------------------------------------------------- a slowloris server

class Slowloris:
    """A 127.0.0.1 server answering every connection one byte a second, forever.

    `headers=True` trickles from the status line on; otherwise the headers come at once and
    the body (a declared 100 kB) trickles."""

    def __init__(self, headers: bool):
        self.headers = headers
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/slow.html"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        body = b"<html><body><p>" + b"x" * 99_985
        with conn:
            try:
                conn.recv(65536)
                if not self.headers:
                    conn.sendall(head)
                for i in range(len(head) + len(body)):
                    if self.stopped.wait(1.0):
                        return
                    data = (head + body) if self.headers else body
                    conn.sendall(data[i:i + 1])
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def slow_headers():
    s = Slowloris(headers=True)
    yield s.url
    s.stop()


@pytest.fixture
def slow_body():
    s = Slowloris(headers=False)
    yield s.url
    s.stop()


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "page.fifo"
    os.mkfifo(path)
    return path


# --------------------------------------------------------------------------- item 5: extract inputs

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_extract_refuses_an_endless_device_in_one_line(device):
    started = time.monotonic()
    r = cli("extract", device, timeout=60)
    line = one_line_error(r, 1, device, "character device")
    assert "regular file" in line
    assert time.monotonic() - started < 30


def test_extract_refuses_a_fifo_without_waiting_for_a_writer(fifo):
    r = cli("extract", fifo, timeout=60)
    one_line_error(r, 1, str(fifo), "FIFO")


@pytest.mark.parametrize("trickled", ["headers", "body"])
def test_extract_gives_a_url_a_total_deadline(trickled, slow_headers, slow_body):
    url = slow_headers if trickled == "headers" else slow_body
    started = time.monotonic()
    r = cli("extract", url, env={"COMPUTEWATCH_FETCH_TIMEOUT": "3"}, timeout=60)
    elapsed = time.monotonic() - started
    one_line_error(r, 1, url, "timed out")
    assert elapsed < 20, f"took {elapsed:.1f} s with fetch_timeout 3" + show(r)


def test_extract_reads_at_most_max_page_bytes_of_a_growing_file(tmp_path):
    """The size is checked on open and the read is bounded too: a file growing while it is read
    (a log, a download in progress) is cut off at the limit, not read to its end."""
    from computewatch import inputs

    path = tmp_path / "growing.txt"
    path.write_bytes(b"a" * 1000)
    with open(path, "ab") as f, pytest.raises(inputs.InputError, match="too large"):
        class Growing:
            def __init__(self, real):
                self.real = real

            def read1(self, n):
                f.write(b"b" * 100_000)
                f.flush()
                return self.real.read(n)
        with open(path, "rb") as real:
            inputs._read_at_most(Growing(real), 50_000)


def test_extract_batch_goes_on_past_every_hostile_input(tmp_path, fifo, slow_headers, slow_body):
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TEXT, "utf-8")
    bad = ["/dev/zero", "/dev/urandom", str(fifo), slow_headers, slow_body]
    r = cli("extract", "--format", "jsonl", *bad, good, env={"COMPUTEWATCH_FETCH_TIMEOUT": "3"},
            timeout=120)
    assert "Traceback" not in r.stderr, show(r)
    assert r.returncode == 1, show(r)
    lines = error_lines(r)
    assert len(lines) == len(bad), show(r)
    for source, line in zip(bad, lines):
        assert source in line, show(r)
    assert '"value": 80000000000.0' in r.stdout and "350000" in r.stdout, show(r)


# --------------------------------------------------------------------------- item 15: UTF-16 text

@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_extract_reads_utf16_text_with_a_bom(tmp_path, codec):
    bom = "\ufeff".encode(codec)
    path = tmp_path / f"{codec}.txt"
    path.write_bytes(bom + GOOD_TEXT.encode(codec))
    r = cli("extract", "--format", "jsonl", path)
    assert r.returncode == 0, show(r)
    assert '"value": 80000000000.0' in r.stdout and '"subject": "Microsoft"' in r.stdout, show(r)


# --------------------------------------------------------------------------- items 6 and 14: sources

def sources_file(tmp_path: Path, **keys) -> Path:
    import json

    entry = {"name": "s1", "lang": "en", "feeds": ["https://example.com/feed.xml"], **keys}
    path = tmp_path / "sources.toml"
    path.write_text("include_defaults = false\n\n[[source]]\n"
                    + "".join(f"{k} = {json.dumps(v)}\n" for k, v in entry.items()), "utf-8")
    return path


BAD_SOURCES = {
    "huge_interval": ({"interval": "99999999999999999999d"}, "interval", "365d"),
    "long_name": ({"name": "a" * 150}, "name", "at most 100"),
    "cron_never_fires": ({"cron": "0 0 31 2 *"}, "cron", "never fires"),
    "nested_quantifier": ({"allow": [r"(a+)+$"]}, "allow", "exponential"),
    "nested_quantifier_deny": ({"deny": [r"\.html$", r"(\w+\s?)*$"]}, "deny", "entry 2"),
    "overlapping_alternation": ({"allow": [r"(a|a)*$"]}, "allow", "exponential"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_sources_bad_value_refused_at_load_naming_file_source_and_key(tmp_path, case):
    keys, key, reason = BAD_SOURCES[case]
    path = sources_file(tmp_path, **keys)
    started = time.monotonic()
    r = cli("sources", "--sources", path, timeout=60)
    one_line_error(r, 2, str(path), f": {key}:", reason, "source ")
    assert time.monotonic() - started < 30


def test_sources_regex_check_keeps_ordinary_patterns(tmp_path):
    ok = [r"\.html$", r"(/[a-z0-9-]+)+\.html$", r"/20\d\d/\d\d/", r"(news|tech)/", r"^https?://(www\.)?x\.com/"]
    path = sources_file(tmp_path, allow=ok, deny=[r"/tag/", r"\?page=\d+"], cron="0 0 29 2 *")
    r = cli("sources", "--sources", path, "--format", "jsonl", timeout=60)
    assert r.returncode == 0, show(r)
    assert r"(/[a-z0-9-]+)+\\.html$" in r.stdout, show(r)


def test_a_catastrophic_pattern_really_is_one():
    """What the check refuses does hang Python's re: 24 characters take seconds."""
    import re as stdlib_re

    started = time.monotonic()
    stdlib_re.search(r"(a+)+$", "a" * 22 + "!")
    assert time.monotonic() - started > 0.1


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_sources_file_that_is_not_a_regular_file_is_refused(tmp_path, fifo, kind):
    path = str(fifo) if kind == "fifo" else "/dev/zero"
    r = cli("sources", "--sources", path, timeout=60)
    one_line_error(r, 2, path, "not a regular file")


# --------------------------------------------------------------------------- item 14: claims options

def test_claims_limit_is_bounded(tmp_path):
    r = cli("claims", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--limit", "99999999999999999999999")
    assert "Traceback" not in r.stderr and r.returncode == 2, show(r)
    assert "--limit" in r.stderr and "at most" in r.stderr, show(r)


def test_claims_subject_is_bounded(tmp_path):
    r = cli("claims", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--subject", "M" * 60_000)
    assert "Traceback" not in r.stderr and r.returncode == 2, show(r)
    assert "--subject" in r.stderr and "at most 200" in r.stderr, show(r)
    assert len(r.stderr) < 1000, show(r)


@pytest.mark.parametrize("url", ["postgresql://cw:s3cretpw@127.0.0.1:abc/cw",
                                 "postgresql://cw@127.0.0.1:notaport/cw?password=s3cretpw"])
def test_db_url_with_a_bad_port_is_one_line_without_the_password(url):
    r = cli("claims", "--db", url)
    line = one_line_error(r, 2, "not a database URL", "port")
    assert "s3cretpw" not in r.stderr and "***" in line, show(r)


# --------------------------------------------------------------------------- item 10: nothing let in or out

def _store_claims(url: str, subjects: list[str]) -> None:
    """One article with one money claim per subject, written through the models."""
    from datetime import date, datetime

    from computewatch.crawl import sync_entities
    from storage.db import open_database
    from storage.models import Article, Claim

    database = open_database(url)
    sync_entities(database)
    with database.session() as s:
        art = Article(content_hash="h" * 40, first_page_id=1, url="https://example.com/a",
                      title="t", reported_on=date(2026, 1, 1), lang="en", text="x" * 200,
                      topic_score=1.0, relevant=True, extractor_version="test",
                      created_at=datetime(2026, 1, 1))
        s.add(art)
        s.flush()
        for i, subject in enumerate(subjects):
            s.add(Claim(article_id=art.id, kind="money", value=1e9 * (i + 1), currency="USD",
                        subject=subject, text="$1 billion", sentence="s", start=i * 10,
                        end=i * 10 + 5, lang="en", extractor_version="test"))
    database.dispose()


def _subjects(url: str, *subject: str) -> list[str]:
    import json

    args = ["claims", "--db", url, "--format", "jsonl"]
    for x in subject:
        args += ["--subject", x]
    r = cli(*args)
    assert r.returncode == 0 and "Traceback" not in r.stderr, show(r)
    return sorted(json.loads(line)["subject"] for line in r.stdout.splitlines() if line.strip())


def test_claims_subject_wildcards_are_characters(db_url):
    _store_claims(db_url, ["Tencent", "TSMC", "Meta"])
    assert _subjects(db_url, "%") == []
    assert _subjects(db_url, "T%") == []
    assert _subjects(db_url, "T_MC") == []
    assert _subjects(db_url, "tsmc") == ["TSMC"]             # case still does not matter
    assert _subjects(db_url, "台积电", "Facebook") == ["Meta", "TSMC"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("form", ["userinfo", "query"])
def test_database_password_never_printed_when_it_cannot_connect(form):
    port = _free_port()
    url = (f"postgresql://cw:s3cretpw@127.0.0.1:{port}/cw" if form == "userinfo"
           else f"postgresql://cw@127.0.0.1:{port}/cw?password=s3cretpw")
    for args in (["claims", "--db", url], ["db", "upgrade", "--db", url, "-v"]):
        r = cli(*args)
        one_line_error(r, 2, f"127.0.0.1:{port}/cw", "***")
        assert "s3cretpw" not in r.stderr + r.stdout, show(r)
    r = cli("status", env={"COMPUTEWATCH_DB": url})
    assert r.returncode == 2 and "s3cretpw" not in r.stderr + r.stdout, show(r)


@pytest.mark.postgres
def test_database_password_never_printed_by_a_working_postgres(pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).update_query_dict({"password": "s3cretpw"}).render_as_string(False)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"cw-{os.getpid()}.log"
    r = cli("db", "upgrade", "--db", url, "-v", "--log-file", log)
    try:
        assert r.returncode == 0, show(r)
        assert "up to date" in r.stdout and "***" in r.stdout, show(r)
        written = log.read_text("utf-8") if log.exists() else ""
        assert "s3cretpw" not in r.stdout + r.stderr + written, show(r)
    finally:
        for p in log.parent.glob(log.name + "*"):
            p.unlink()


def test_sqlite_database_and_its_directories_are_private(tmp_path):
    import sqlite3

    home = tmp_path / "data" / "deeper"
    old = os.umask(0o022)               # the usual umask, under which SQLite makes 0644 files
    try:
        r = cli("db", "upgrade", env={"COMPUTEWATCH_HOME": str(home)})
    finally:
        os.umask(old)
    assert r.returncode == 0, show(r)
    db = home / "computewatch.db"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    for d in (home, home.parent):
        assert oct(d.stat().st_mode & 0o777) == "0o700", d
    conn = sqlite3.connect(db)          # the -wal and -shm files exist while it is open
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        for suffix in ("-wal", "-shm"):
            side = db.with_name(db.name + suffix)
            assert side.exists(), side
            assert oct(side.stat().st_mode & 0o777) == "0o600", side
    finally:
        conn.close()


CATASTROPHIC = [r"(a+)+$", r"(\w+\s?)*$", r"(.*/)+x", r"(a|aa)+$", r"(a|a)*$", r"((ab)*)*",
                r"(x+x+)+y", r"([a-z]+-?)+\.html$", r"(?:\d+)*0"]
ORDINARY = [r"\.html$", r"(/[a-z0-9-]+)+\.html$", r"(news|tech)+", r"/article/\d+",
            r"^https?://(www\.)?example\.com/20\d\d/", r"(a+b)+", r"a{2,5}", r"(?:a|b|c)+"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_regex_check_refuses_exponential_shapes(pattern):
    from crawler import regexcheck

    assert regexcheck.problem(pattern)


@pytest.mark.parametrize("pattern", ORDINARY)
def test_regex_check_passes_linear_shapes(pattern):
    from crawler import regexcheck

    assert regexcheck.problem(pattern) is None


def test_regex_check_passes_every_shipped_pattern():
    from crawler import regexcheck, sources

    shipped = [(s.name, p) for s in sources.load() for p in (*s.allow, *s.deny)]
    assert shipped and not [(n, p) for n, p in shipped if regexcheck.problem(p)]
