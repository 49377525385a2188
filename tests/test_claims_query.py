"""`computewatch claims`, `db upgrade` and crawl failures, on a database filled by a real crawl.

The database is filled once per module by crawling the bundled sample site (its EXPECTED.md lists
the 30 claims a careful reader finds), on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import csv
import io
import json

import pytest

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, fixture_sources, query, run_cli

SAMPLE = ROOT / "computewatch" / "sample_site"
SAMPLE_CLAIMS = 30


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request, tmp_path_factory):
    """A database with the sample site crawled into it, as source 'ledger'."""
    from conftest import _fresh_pg_database, _require_pg

    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('claims') / 'cw.db'}"
    else:
        _require_pg()
        url, drop = _fresh_pg_database()
    tmp = tmp_path_factory.mktemp("sources")
    with LocalSite(SAMPLE) as site:
        sources = fixture_sources(tmp / "sources.toml", site.base_url, name="ledger",
                                  feeds=[f"{site.base_url}/feed.xml"],
                                  sitemaps=[f"{site.base_url}/sitemap.xml"],
                                  start_urls=[f"{site.base_url}/"], allow=["/news/"])
        result = run_cli("crawl", "--sources", str(sources), "--db", url)
    assert result.returncode == 0, result.stderr
    yield url
    if drop:
        drop()


def claims(url: str, *args: str) -> list[dict]:
    result = run_cli("claims", "--db", url, "--format", "jsonl", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_claim_of_the_sample_site_is_stored_with_its_provenance(filled):
    rows = claims(filled)
    assert len(rows) == SAMPLE_CLAIMS
    schema = ["kind", "value", "value_max", "unit", "currency", "approx", "subject", "metric",
              "text", "sentence", "start", "end", "lang"]
    for row in rows:
        assert set(schema + ["url", "title", "published", "source"]) <= set(row)
        assert row["source"] == "ledger"
        assert row["url"].startswith("http://127.0.0.1:") and "/news/" in row["url"]
        assert row["text"] in row["sentence"]
    # Offsets point into the stored article text.
    for text, start, end, body in query(filled, """SELECT c.text, c.start, c."end", a.text
                                                   FROM claims c JOIN articles a ON a.id = c.article_id"""):
        assert body[start:end] == text
    # Newest report first.
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_filters_narrow_the_claims_as_asked(filled):
    everything = claims(filled)
    meta = claims(filled, "--subject", "Meta")
    assert meta and all(r["subject"] == "Meta" for r in meta)
    assert len(meta) == sum(r["subject"] == "Meta" for r in everything)
    # Any alias in either language stands for the organisation.
    assert claims(filled, "--subject", "扎克伯格") == meta
    assert claims(filled, "--subject", "facebook") == meta

    gpus = claims(filled, "--kind", "gpu_count")
    assert gpus and {r["kind"] for r in gpus} == {"gpu_count"}
    zh = claims(filled, "--lang", "zh")
    en = claims(filled, "--lang", "en")
    assert zh and en and len(zh) + len(en) == len(everything)
    assert all(r["lang"] == "zh" for r in zh)

    since = claims(filled, "--since", "2026-02-10")
    assert since and all(r["published"] >= "2026-02-10" for r in since)
    until = claims(filled, "--until", "2026-02-09")
    assert len(since) + len(until) == len(everything)

    big = claims(filled, "--min-value", "1e11")
    assert big and all(r["value"] >= 1e11 for r in big)
    assert claims(filled, "--source", "no-such-source") == []
    assert len(claims(filled, "--limit", "3")) == 3
    both = claims(filled, "--subject", "Meta", "--kind", "money", "--lang", "en")
    assert both and all((r["subject"], r["kind"], r["lang"]) == ("Meta", "money", "en") for r in both)


def test_csv_and_table_formats(filled):
    out = run_cli("claims", "--db", filled, "--format", "csv", "--kind", "power")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and {r["kind"] for r in rows} == {"power"}
    assert {"url", "title", "published", "source", "sentence"} <= set(rows[0])
    table = run_cli("claims", "--db", filled, "--subject", "xAI")
    # piped, the table is TSV: a header, then one claim a line
    header, *lines = table.stdout.splitlines()
    assert table.returncode == 0 and header.startswith("reported\tkind\tfigure\tsubject"), table.stdout
    assert lines and all(line.split("\t")[3] == "xAI" for line in lines), table.stdout


def test_bad_query_arguments_are_one_line_errors(filled):
    for args in (["--since", "yesterday"], ["--kind", "shares"], ["--limit", "0"]):
        result = run_cli("claims", "--db", filled, *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_schema_and_is_idempotent(db_url):
    first = run_cli("db", "upgrade", "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout
    tables = {"sources", "pages", "articles", "claims", "entities", "entity_aliases", "crawl_runs",
              "fetch_state", "alembic_version"}
    import sqlalchemy as sa
    engine = sa.create_engine(db_url)
    assert tables <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
    aliases = query(db_url, """SELECT e.name FROM entity_aliases a JOIN entities e ON e.id = a.entity_id
                               WHERE a.alias = :a""", a="小扎")
    assert aliases == [("Meta",)]
    before = query(db_url, "SELECT COUNT(*) FROM entity_aliases")
    assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
    assert query(db_url, "SELECT COUNT(*) FROM entity_aliases") == before


def test_migrations_match_the_models(db_url):
    """A model changed without a migration fails here (alembic autogenerate finds a difference)."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.db import include_object, open_database
    from storage.models import Base

    database = open_database(db_url)
    with database.engine.connect() as conn:
        # The daemon's job store lives in the same database; it is APScheduler's, not ours.
        conn.execute(sa.text("CREATE TABLE scheduler_jobs (id VARCHAR(191) PRIMARY KEY)"))
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    database.dispose()
    assert diff == []


def test_crawl_refuses_to_run_with_a_one_line_reason(tmp_path):
    bad_sources = tmp_path / "bad.toml"
    bad_sources.write_text('include_defaults = false\n[[source]]\nname = "x"\nlang = "fr"\n'
                           'feeds = ["http://127.0.0.1:9/feed"]\n', "utf-8")
    result = run_cli("crawl", "--sources", str(bad_sources), "--db", f"sqlite:///{tmp_path}/a.db")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad.toml" in result.stderr and "lang" in result.stderr

    good = fixture_sources(tmp_path / "good.toml", "http://127.0.0.1:9")
    unreachable = run_cli("crawl", "--sources", str(good),
                          "--db", "postgresql://nobody@127.0.0.1:9/none")
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("computewatch: error: ")
    assert unreachable.stderr.count("\n") == 1 and "Traceback" not in unreachable.stderr

    unknown = run_cli("crawl", "--sources", str(good), "--source", "nope", "--db", f"sqlite:///{tmp_path}/a.db")
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_a_dead_site_is_a_failed_run_not_a_crash(tmp_path):
    db = f"sqlite:///{tmp_path / 'dead.db'}"
    sources = fixture_sources(tmp_path / "dead.toml", "http://127.0.0.1:9")   # nothing listens on 9
    result = run_cli("crawl", "--sources", str(sources), "--db", db)
    assert result.returncode == 3, result.stderr
    assert "no source could be reached" in result.stderr
    assert "Traceback" not in result.stderr
    status, errors = query(db, "SELECT status, errors FROM crawl_runs")[0]
    assert status == "failed" and errors >= 1


# --------------------------------------------------------------------------- a new user's first hour

def test_unknown_subject_or_source_is_warned_with_the_nearest(filled):
    r = run_cli("claims", "--db", filled, "--subject", "Metta", "--source", "ledgr")
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("computewatch: warning:")]
    assert any("'Metta'" in w and "Meta" in w.split("did you mean")[1] for w in warnings), r.stderr
    assert any("'ledgr'" in w and "ledger" in w.split("did you mean")[1] for w in warnings), r.stderr
    # a subject known under an alias is no typo: no warning
    r = run_cli("claims", "--db", filled, "--subject", "Facebook")
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_a_database_that_does_not_exist_is_refused_not_created(tmp_path):
    missing = tmp_path / "typo.db"
    for command in ("claims", "facts"):
        r = run_cli(command, "--db", f"sqlite:///{missing}")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.strip().splitlines() == [f"computewatch: error: sqlite:///{missing}: no such database file"]
    assert not missing.exists()


def test_a_read_only_copy_can_be_queried(filled, tmp_path):
    if not filled.startswith("sqlite"):
        pytest.skip("file permissions: SQLite only")
    import shutil
    import stat

    copy = tmp_path / "ro" / "copy.db"
    copy.parent.mkdir()
    shutil.copy(filled.removeprefix("sqlite:///"), copy)
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP)
    copy.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)       # no journal can be made beside it
    try:
        r = run_cli("claims", "--db", f"sqlite:///{copy}", "--format", "jsonl", "--kind", "power")
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() and all(json.loads(ln)["kind"] == "power" for ln in r.stdout.splitlines())
    finally:
        copy.parent.chmod(stat.S_IRWXU)


def test_verbose_is_one_level_more(tmp_path):
    # `db upgrade` logs the migrations it applied at INFO: shown with -v only
    quiet = run_cli("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'a.db'}")
    loud = run_cli("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'b.db'}", "-v")
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert " INFO " not in quiet.stderr, quiet.stderr
    assert any(" INFO " in ln and "upgraded" in ln for ln in loud.stderr.splitlines()), loud.stderr
