"""The analyst's Python API (`computewatch.open(url)`: claims and facts as DataFrames) and
`computewatch export claims|facts` (CSV, JSON lines, Parquet), on SQLite and PostgreSQL.

The database is filled by real crawls (the sample site with its hostile page, as the web app's
tests fill theirs, and the facts site's two sources, which give supersedes and conflicts); the
command line's `claims`/`facts --format jsonl|csv` output is the reference every row is held to.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from datetime import date, datetime

import pytest

from crawl_helpers import ROOT, cli_env, run_cli

pd = pytest.importorskip("pandas", reason="the pandas extra (make install installs it)")
pq = pytest.importorskip("pyarrow.parquet", reason="the parquet extra (make install installs it)")

import computewatch  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request, tmp_path_factory):
    """A database URL with the sample site and the facts site crawled into it."""
    from computewatch.localsite import LocalSite
    from conftest import _fresh_pg_database, _require_pg
    from test_facts import SITE as FACTS_SITE, _sources as facts_sources
    from web_helpers import fill

    drop = None
    tmp = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'cw.db'}"
    else:
        _require_pg()
        url, drop = _fresh_pg_database()
    fill(url, tmp)
    with LocalSite(FACTS_SITE) as site:
        result = run_cli("crawl", "--sources", str(facts_sources(tmp / "facts.toml", site.base_url)),
                         "--db", url)
    assert result.returncode == 0, result.stderr
    yield url
    if drop:
        drop()


# --------------------------------------------------------------------------- helpers

_CLI: dict[tuple, bytes] = {}


def cli_out(table: str, url: str, fmt: str, *args: str) -> bytes:
    """What `computewatch claims|facts --format FMT ARGS` prints, as bytes (once per arguments:
    the database does not change)."""
    key = (table, url, fmt, args)
    if key not in _CLI:
        r = subprocess.run([sys.executable, "-m", "computewatch.cli", table, "--db", url, "--format", fmt,
                            *args], capture_output=True, env=cli_env(), cwd=ROOT, timeout=180)
        assert r.returncode == 0, r.stderr.decode()
        _CLI[key] = r.stdout
    return _CLI[key]


def cli_jsonl(table: str, url: str, *args: str) -> list[dict]:
    return [json.loads(line) for line in cli_out(table, url, "jsonl", *args).decode().splitlines()]


def plain(value):
    """A DataFrame cell as its JSON-lines value: NaN/NaT/NA are null, datetimes their ISO day."""
    if isinstance(value, (list, dict)):
        return value
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        assert value == value.normalize(), value          # a day, not a time of day
        return value.date().isoformat()
    if hasattr(value, "item"):                            # numpy scalars
        return value.item()
    return value


def records(df) -> list[dict]:
    return [{k: plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def export(table: str, url: str, out, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("export", table, "--db", url, "--output", str(out), *args, env=env)


def undated(value):
    """Parquet's dates as the ISO text of the JSON lines, inside lists and structs too."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [undated(v) for v in value]
    if isinstance(value, dict):
        return {k: undated(v) for k, v in value.items()}
    return value


# Filters as the API takes them, and the same as command-line arguments.
CLAIM_CASES = [
    ({}, []),
    ({"subject": "Meta"}, ["--subject", "Meta"]),
    ({"subject": ["facebook", "OpenAI"]}, ["--subject", "facebook", "--subject", "OpenAI"]),
    ({"kind": "money", "since": "2025-01-01"}, ["--kind", "money", "--since", "2025-01-01"]),
    ({"kind": ["money", "power"], "lang": "zh", "until": date(2025, 6, 30)},
     ["--kind", "money", "--kind", "power", "--lang", "zh", "--until", "2025-06-30"]),
    ({"source": "daily", "sort": "value", "limit": 5}, ["--source", "daily", "--sort", "value", "--limit", "5"]),
    ({"min_value": 1e10, "currency": "usd"}, ["--min-value", "1e10", "--currency", "usd"]),
    ({"metric": "capex", "status": "planned"}, ["--metric", "capex", "--status", "planned"]),
    ({"since": datetime(2026, 2, 1, 15, 30)}, ["--since", "2026-02-01"]),
]
FACT_CASES = [
    ({}, []),
    ({"subject": "Meta"}, ["--subject", "Meta"]),
    ({"kind": "money", "lang": "zh", "sort": "value_usd"}, ["--kind", "money", "--lang", "zh", "--sort", "value_usd"]),
    ({"since": "2025-03-01", "until": "2025-12-31"}, ["--since", "2025-03-01", "--until", "2025-12-31"]),
    ({"min_articles": 2, "sort": "articles", "limit": 3}, ["--min-articles", "2", "--sort", "articles", "--limit", "3"]),
    ({"status": "planned", "metric": "capex"}, ["--status", "planned", "--metric", "capex"]),
]


# --------------------------------------------------------------------------- the Python API

@pytest.mark.parametrize("kw, args", CLAIM_CASES, ids=[str(k) for k, _ in CLAIM_CASES])
def test_claims_dataframe_is_the_command_lines_jsonl(filled, kw, args):
    with computewatch.open(filled) as db:
        df = db.claims(**kw)
    expected = cli_jsonl("claims", filled, *args)
    assert records(df) == expected
    assert list(df.columns) == list(json.loads(cli_out("claims", filled, "jsonl").decode().splitlines()[0]))
    assert str(df["reported_on"].dtype).startswith("datetime64")
    assert str(df["published"].dtype).startswith("datetime64")
    assert df["value"].dtype == "float64" and df["claim"].dtype == "int64" and str(df["fact"].dtype) == "Int64"


@pytest.mark.parametrize("kw, args", FACT_CASES, ids=[str(k) for k, _ in FACT_CASES])
def test_facts_dataframe_is_the_command_lines_jsonl(filled, kw, args):
    with computewatch.open(filled) as db:
        df = db.facts(**kw)
    assert records(df) == cli_jsonl("facts", filled, *args)
    assert str(df["first_seen"].dtype).startswith("datetime64") and df["articles"].dtype == "int64"


def test_filters_select_what_they_say(filled):
    with computewatch.open(filled) as db:
        every = db.claims()
        money = db.claims(kind="money", since="2025-01-01")
        meta = db.facts(subject="Meta")
        chinese = db.claims(lang="zh", kind=["gpu_count", "power"])
        one_fact = int(meta["fact"].iloc[0])
        reports = db.claims(fact=one_fact)
        facts = db.facts()
    assert 0 < len(money) < len(every)
    assert set(money["kind"]) == {"money"} and (money["reported_on"] >= pd.Timestamp("2025-01-01")).all()
    assert len(meta) >= 2 and set(meta["subject"]) == {"Meta"}
    assert 0 < len(chinese) and set(chinese["lang"]) == {"zh"} and "money" not in set(chinese["kind"])
    assert sorted(reports["claim"]) == sorted(c["claim"] for c in meta["claims"].iloc[0])
    # The facts site's disagreements and revisions come through as lists of fact ids.
    assert facts["supersedes"].map(len).sum() > 0 and facts["conflicts_with"].map(len).sum() > 0
    assert facts["superseded_by"].notna().any()


def test_bad_filters_are_refused_naming_them(filled):
    with computewatch.open(filled) as db:
        with pytest.raises(computewatch.FilterError, match="kind: 'shares' is not one of"):
            db.claims(kind="shares")
        with pytest.raises(computewatch.FilterError, match="since: not a date"):
            db.claims(since="yesterday")
        with pytest.raises(computewatch.FilterError, match="limit: must be at least 1"):
            db.facts(limit=0)
        with pytest.raises(TypeError, match="'min_value'"):
            db.facts(min_value=3)                   # a claims filter, not a facts one
        with pytest.raises(computewatch.FilterError, match="lang: one value"):
            db.claims(lang=["en", "zh"])


def test_closed_database_and_repr(filled):
    from sqlalchemy.engine import make_url

    url = filled
    if not filled.startswith("sqlite"):       # the test server trusts 127.0.0.1: any password opens it
        url = make_url(filled).set(password="s3cret-pw").render_as_string(hide_password=False)
    db = computewatch.open(url)
    assert repr(db).startswith("<computewatch.Database ") and "s3cret-pw" not in repr(db)
    db.close()
    db.close()                                                  # twice is harmless
    assert "closed" in repr(db)
    with pytest.raises(ValueError, match="closed"):
        db.claims()


def test_a_missing_database_is_refused_and_not_created(tmp_path, db_url):
    from sqlalchemy.engine import make_url

    if db_url.startswith("sqlite"):
        missing = f"sqlite:///{tmp_path / 'absent.db'}"
    else:
        missing = make_url(db_url).set(database="cw_absent_database").render_as_string(hide_password=False)
    with pytest.raises(computewatch.DatabaseError) as e:
        computewatch.open(missing)
    message = str(e.value)
    assert "\n" not in message and ("no such database file" in message or "does not exist" in message)
    assert not (tmp_path / "absent.db").exists()
    # An empty database is not a computewatch database either (and is not migrated into one).
    with pytest.raises(computewatch.DatabaseError, match="not a computewatch database"):
        computewatch.open(db_url if not db_url.startswith("sqlite") else _empty_sqlite(tmp_path))


def _empty_sqlite(tmp_path) -> str:
    import sqlite3

    sqlite3.connect(tmp_path / "empty.db").close()
    return f"sqlite:///{tmp_path / 'empty.db'}"


def test_the_api_opens_read_only(filled):
    from sqlalchemy import text

    with computewatch.open(filled) as db:
        with pytest.raises(Exception) as e:
            with db._database.session() as s:
                s.execute(text("DELETE FROM claims"))
    assert "read" in str(e.value).lower()                       # readonly / read-only transaction
    with computewatch.open(filled) as db:
        assert len(db.claims()) > 0


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=cli_env(), cwd=ROOT, timeout=180)


def test_import_stays_light_and_the_extras_are_named_when_missing(filled):
    light = _python("import sys, computewatch, computewatch.cli;"
                    "print(sorted(m for m in ('pandas', 'pyarrow', 'sqlalchemy', 'spacy') if m in sys.modules))")
    assert light.returncode == 0 and light.stdout.strip() == "[]", light.stderr
    # Without pandas (an import of it fails, as on an install without the extra): one line.
    no_pandas = _python("import sys; sys.modules['pandas'] = None\nimport computewatch\n"
                        "try:\n    computewatch.open(sys.argv[1])\n"
                        "except ImportError as e:\n    print(e)", filled)
    assert no_pandas.returncode == 0, no_pandas.stderr
    assert no_pandas.stdout.strip() == "computewatch.open() needs pandas: pip install 'computewatch[pandas]'"


# --------------------------------------------------------------------------- export

EXPORT_CASES = [("claims", []), ("claims", ["--kind", "money", "--since", "2025-01-01", "--sort", "value"]),
                ("facts", []), ("facts", ["--subject", "Meta", "--lang", "zh"])]


@pytest.mark.parametrize("table, args", EXPORT_CASES, ids=[f"{t} {' '.join(a)}" for t, a in EXPORT_CASES])
def test_export_csv_and_jsonl_are_the_command_lines_output(filled, tmp_path, table, args):
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"export.{fmt}"
        r = export(table, filled, out, "--format", fmt, *args)
        assert r.returncode == 0 and r.stdout == "", r.stderr
        expected = cli_out(table, filled, fmt, *args)
        assert out.read_bytes() == expected
        rows = (list(csv.DictReader(io.StringIO(out.read_text("utf-8"), newline=""))) if fmt == "csv"
                else [json.loads(line) for line in out.read_text("utf-8").splitlines()])
        assert len(rows) == len(cli_jsonl(table, filled, *args)) > 0
        assert f"{len(rows)} {table if len(rows) != 1 else table[:-1]} written to {out}" in r.stderr
    # csv, read back with the csv module, is the command line's csv read the same way
    assert list(csv.reader(io.StringIO((tmp_path / "export.csv").read_text("utf-8"), newline=""))) == \
        list(csv.reader(io.StringIO(cli_out(table, filled, "csv", *args).decode(), newline="")))


@pytest.mark.parametrize("table, args", EXPORT_CASES, ids=[f"{t} {' '.join(a)}" for t, a in EXPORT_CASES])
def test_export_parquet_round_trips_to_the_command_lines_jsonl(filled, tmp_path, table, args):
    out = tmp_path / "export.parquet"                           # the format from the extension
    r = export(table, filled, out, *args)
    assert r.returncode == 0, r.stderr
    t = pq.read_table(out)
    expected = cli_jsonl(table, filled, *args)
    assert t.column_names == list(expected[0])
    assert [undated(row) for row in t.to_pylist()] == expected
    types = {f.name: str(f.type) for f in t.schema}
    assert types["value"] == "double"
    if table == "claims":
        assert types["reported_on"] == "date32[day]" and types["claim"] == "int64" and types["earlier"] == "bool"
    else:
        assert types["first_seen"] == "date32[day]" and types["supersedes"] == "list<element: int64>"
        assert types["claims"].startswith("list<element: struct<claim: int64")


def test_export_of_nothing_is_a_header_an_empty_file_and_an_empty_table(filled, tmp_path):
    none = ["--subject", "No Such Company"]
    for fmt in ("csv", "jsonl", "parquet"):
        for table in ("claims", "facts"):
            out = tmp_path / f"{table}.{fmt}"
            r = export(table, filled, out, *none)
            assert r.returncode == 0 and f"0 {table} written" in r.stderr, r.stderr
            if fmt == "parquet":
                t = pq.read_table(out)
                assert t.num_rows == 0 and "value" in t.column_names
            else:
                assert out.read_bytes() == cli_out(table, filled, fmt, *none)


def test_export_filters_are_the_commands(filled, tmp_path):
    """Every filter of `claims`/`facts` is an option of `export claims`/`export facts` (one definition)."""
    import argparse

    from computewatch.cli import build_parser

    def options(*path):
        p = build_parser()
        for name in path:
            p = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        return {o for a in p._actions for o in a.option_strings} - {"--format", "--output", "-o"}

    assert options("claims") == options("export", "claims")
    assert options("facts") == options("export", "facts")
    bad = export("claims", filled, tmp_path / "x.csv", "--kind", "shares")
    assert bad.returncode == 2 and "invalid choice: 'shares'" in bad.stderr


def _one_line_error(r: subprocess.CompletedProcess, *names: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("computewatch: error: ")
    for name in names:
        assert name in r.stderr, r.stderr


def test_export_to_a_bad_path_is_one_line_naming_it(filled, tmp_path):
    nowhere = tmp_path / "no" / "such" / "dir" / "claims.csv"
    _one_line_error(export("claims", filled, nowhere), str(nowhere))
    assert not (tmp_path / "no").exists()
    _one_line_error(export("facts", filled, tmp_path, "--format", "jsonl"), str(tmp_path), "is a directory")
    unknown = tmp_path / "claims.xlsx"
    _one_line_error(export("claims", filled, unknown), str(unknown), "--format")
    assert os.listdir(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path):
    """An 8 KB file system (tmpfs): the disk an export fills."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_failed_export_leaves_no_half_file(filled, small_disk, fmt):
    """The disk fills in the middle of the rows: the previous file is untouched, no temporary
    file is left beside it, and the error is one line naming the file."""
    out = small_disk / f"claims.{fmt}"
    out.write_text("the previous export\n", "utf-8")
    assert len(cli_out("claims", filled, "csv")) > 8 * 1024
    _one_line_error(export("claims", filled, out), str(out), "cannot write", "No space left")
    assert out.read_text("utf-8") == "the previous export\n"
    assert os.listdir(small_disk) == [out.name]


def test_an_export_replaces_the_file_whole_keeping_its_mode(filled, tmp_path):
    out = tmp_path / "claims.jsonl"
    out.write_text("the previous export\n", "utf-8")
    os.chmod(out, 0o640)
    assert export("claims", filled, out).returncode == 0
    assert out.read_bytes() == cli_out("claims", filled, "jsonl") and (os.stat(out).st_mode & 0o777) == 0o640
    fresh = tmp_path / "new.csv"
    assert export("claims", filled, fresh).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(fresh).st_mode & 0o777 == 0o666 & ~umask           # as any new file, not 0600
    assert sorted(os.listdir(tmp_path)) == ["claims.jsonl", "new.csv"]


def test_export_refuses_a_missing_database_and_a_missing_pyarrow(tmp_path):
    absent = tmp_path / "absent.db"
    _one_line_error(export("claims", f"sqlite:///{absent}", tmp_path / "c.csv"), str(absent),
                    "no such database file")
    assert sorted(os.listdir(tmp_path)) == []
    # Without pyarrow (an import of it fails, as on an install without the extra): one line.
    code = ("import sys; sys.modules['pyarrow'] = None\nfrom computewatch.cli import main\n"
            "sys.exit(main(['export', 'facts', '--db', sys.argv[1], '--output', sys.argv[2]]))")
    r = _python(code, f"sqlite:///{absent}", str(tmp_path / "f.parquet"))
    _one_line_error(r, "pip install 'computewatch[parquet]'")
    assert sorted(os.listdir(tmp_path)) == []
