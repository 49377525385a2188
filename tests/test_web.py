"""`computewatch serve` over HTTP, on SQLite and PostgreSQL: every page and its .json and .csv
twins, filters and paging as the command line's, 400s naming the parameter, escaping, read-only."""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import urllib.parse
import urllib.request

import pytest

from crawl_helpers import run_cli
from web_helpers import HOSTILE_TITLE, fill, get, get_json, served


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request, tmp_path_factory):
    """(base URL, database URL) of a server over the sample site's crawl."""
    from conftest import _fresh_pg_database, _require_pg

    drop = None
    tmp = tmp_path_factory.mktemp("web")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'cw.db'}"
    else:
        _require_pg()
        url, drop = _fresh_pg_database()
    fill(url, tmp)
    with served(url) as (base, _proc):
        yield base, url
    if drop:
        drop()


def rows_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def cli_jsonl(*args: str) -> list[dict]:
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_every_page_and_twin_answers(app):
    base, _ = app
    facts = get_json(base + "/facts.json?size=500")["rows"]
    claims = get_json(base + "/claims.json?size=500")["rows"]
    fid, aid, subject = facts[0]["fact"], claims[0]["article"], next(f["subject"] for f in facts if f["subject"])
    for path in ["/", "/facts", "/claims", "/sources", f"/facts/{fid}", f"/articles/{aid}",
                 f"/subjects/{urllib.parse.quote(subject)}"]:
        status, ctype, body = get(base + path)
        assert status == 200 and ctype.startswith("text/html"), (path, status)
        assert "<h1" in body
        twin = "/index" if path == "/" else path
        data = get_json(base + twin + ".json")
        assert isinstance(data["rows"], list) and "next" in data and "prev" in data
        status, ctype, body = get(base + twin + ".csv")
        assert status == 200 and ctype.startswith("text/csv"), (path, status)
        assert len(rows_csv(body)) == len(data["rows"])


def test_facts_json_is_the_facts_contract(app):
    """The web's rows are what `computewatch facts --format jsonl` prints, field for field."""
    base, url = app
    web = get_json(base + "/facts.json?size=500")
    assert web["total"] == len(web["rows"]) > 0
    cli = cli_jsonl("facts", "--format", "jsonl", "--db", url)
    assert sorted(web["rows"], key=lambda r: r["fact"]) == sorted(cli, key=lambda r: r["fact"])


def test_claims_filters_match_the_command_line(app):
    base, url = app
    web = get_json(base + "/claims.json?subject=Meta&kind=money&size=500")
    assert web["rows"] and all(r["subject"] == "Meta" and r["kind"] == "money" for r in web["rows"])
    cli = cli_jsonl("claims", "--subject", "Meta", "--kind", "money", "--format", "jsonl", "--db", url)
    assert [r["claim"] for r in web["rows"]] == [r["claim"] for r in cli]
    # Repeated parameters take all their values; an alias finds the canonical subject.
    both = get_json(base + "/claims.json?kind=money&kind=power&size=500")["rows"]
    assert {r["kind"] for r in both} == {"money", "power"}
    alias = get_json(base + "/claims.json?subject=" + urllib.parse.quote("小扎") + "&size=500")["rows"]
    assert alias and {r["subject"] for r in alias} == {"Meta"}
    big = get_json(base + "/claims.json?kind=money&min_value=50000000000&sort=value&size=500")["rows"]
    usd = [r["value_usd"] for r in big]
    assert usd == sorted(usd, reverse=True) and min(usd) >= 5e10
    csv_rows = rows_csv(get(base + "/claims.csv?subject=Meta&kind=money&size=500")[2])
    assert [int(r["claim"]) for r in csv_rows] == [r["claim"] for r in cli]
    assert all(r["reported_on"] for r in csv_rows)


def test_facets_count_what_the_filter_shows(app):
    base, _ = app
    data = get_json(base + "/facts.json?size=500")
    kinds = {f["value"]: f["count"] for f in data["facets"]["kind"]}
    for kind, n in kinds.items():
        assert get_json(base + f"/facts.json?kind={kind}&size=500")["total"] == n
    langs = {f["value"]: f["count"] for f in data["facets"]["lang"]}
    assert get_json(base + "/facts.json?lang=zh&size=500")["total"] == langs["zh"]


def test_paging_links_walk_every_row_once(app):
    base, _ = app
    total = get_json(base + "/claims.json?size=500")["total"]
    seen, url = [], base + "/claims.json?size=7"
    while url:
        page = get_json(url)
        seen += [r["claim"] for r in page["rows"]]
        url = base + page["next"] if page["next"] else None
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("path, name", [
    ("/claims.json?kind=bogus", "kind"), ("/claims.json?since=yesterday-ish", "since"),
    ("/claims?page=0", "page"), ("/facts.json?size=100000", "size"), ("/claims.csv?min_value=abc", "min_value"),
    ("/claims.json?fact=abc", "fact"), ("/facts.json?sort=zzz", "sort"), ("/facts?status=rumour", "status"),
    ("/claims.json?currency=dollars", "currency"), ("/facts.json?lang=fr", "lang"),
    ("/claims.json?subject=" + "x" * 300, "subject"), ("/facts.json?min_articles=-1", "min_articles"),
])
def test_bad_parameters_are_a_400_naming_them(app, path, name):
    base, _ = app
    status, _ctype, body = get(base + path)
    assert status == 400, (path, status)
    body = html.unescape(body)
    assert repr(name) in body or f'"parameter": "{name}"' in body or f'"parameter":"{name}"' in body


def test_missing_records_are_404(app):
    base, _ = app
    assert get(base + "/facts/999999")[0] == 404
    assert get(base + "/articles/999999.json")[0] == 404
    assert get(base + "/subjects/NoSuchCompanyAnywhere")[0] == 404


def test_hostile_text_is_shown_as_text(app):
    base, _ = app
    claims = get_json(base + "/claims.json?subject=Meta&size=500")["rows"]
    hostile = next(r for r in claims if "hostile.example" in r["url"])
    assert hostile["title"] == HOSTILE_TITLE
    for path in (f"/articles/{hostile['article']}", "/claims?subject=Meta", f"/facts/{hostile['fact']}"):
        body = get(base + path)[2]
        assert "<script>alert(" not in body, path
        assert "&lt;script&gt;alert(" in body, path


def test_read_only_no_writes_and_no_write_endpoint(app, tmp_path):
    base, url = app
    req = urllib.request.Request(base + "/facts.json", data=b"{}", method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 405
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        before = hashlib.sha256(open(path, "rb").read()).hexdigest()
        for p in ("/", "/facts", "/claims.json", "/sources.csv"):
            get(base + p)
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before


def test_a_read_only_copy_is_served_and_a_missing_database_refused(app, tmp_path):
    base, url = app
    if not url.startswith("sqlite"):
        pytest.skip("file permissions: SQLite only")
    copy = tmp_path / "copy.db"
    copy.write_bytes(open(url.removeprefix("sqlite:///"), "rb").read())
    os.chmod(copy, 0o444)
    os.chmod(tmp_path, 0o555)          # not even a -wal or -shm can be made beside it
    try:
        with served(f"sqlite:///{copy}") as (copy_base, proc):
            assert get_json(copy_base + "/facts.json")["total"] == get_json(base + "/facts.json")["total"]
    finally:
        os.chmod(tmp_path, 0o755)
    r = run_cli("serve", "--db", f"sqlite:///{tmp_path / 'absent.db'}")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no such database file" in r.stderr
    assert not (tmp_path / "absent.db").exists()


def test_binds_to_loopback_and_says_so_otherwise(app):
    _, url = app
    with served(url) as (_base, proc):
        pass
    out = proc.stderr.read()
    assert "read-only on http://127.0.0.1:" in out and "warning" not in out


def test_a_range_in_dollars_is_shown_as_a_range(app):
    base, _ = app
    ranged = [f for f in get_json(base + "/facts.json?kind=money&size=500")["rows"] if f["value_usd_max"]]
    assert ranged, "the sample site has money ranges (Meta's 60-65 billion)"
    from computewatch.output import figure

    for f in ranged:
        shown = html.escape(figure({"kind": "money", "value": f["value_usd"], "value_max": f["value_usd_max"],
                                    "currency": "USD"}))
        assert "–" in shown
        for path in (f"/facts/{f['fact']}", f"/facts?subject={urllib.parse.quote(f['subject'])}&kind=money"):
            assert shown in get(base + path)[2], path


def _write(url: str, sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def test_facets_and_totals_follow_the_database_as_it_changes(app):
    """Counts are kept between requests (computewatch.web.cache) until claims change: another
    process (a worker) storing a claim, then removing it, shows at once."""
    base, url = app
    before = get_json(base + "/claims.json?kind=power")
    assert before["total"] > 0
    _write(url, "INSERT INTO claims (article_id, kind, value, unit, text, sentence, start, \"end\", lang, "
                "extractor_version, earlier) SELECT article_id, kind, value, unit, text, sentence, "
                "start + 100000, \"end\" + 100000, lang, extractor_version, earlier FROM claims "
                "WHERE id = (SELECT MIN(id) FROM claims WHERE kind = 'power')")
    try:
        grown = get_json(base + "/claims.json?kind=power")
        assert grown["total"] == before["total"] + 1
        assert {f["value"]: f["count"] for f in grown["facets"]["kind"]}["power"] == grown["total"]
    finally:
        _write(url, "DELETE FROM claims WHERE start >= 100000")
    assert get_json(base + "/claims.json?kind=power")["total"] == before["total"]
