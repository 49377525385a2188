"""Facts built from a real crawl of tests/fixtures/facts_site (English, simplified and
traditional Chinese; USD, CNY, HKD, TWD, EUR), on SQLite and PostgreSQL.

The site has two sources (`wire`, `daily`) so that disagreements between sources show. Every
expected fact below is what a careful reader of the pages would write down; exchange rates are
read from the ECB file of the currencyconverter package and from nlp/data/exchange_rates.toml.
"""
from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest

from computewatch.localsite import LocalSite
from crawl_helpers import ROOT, run_cli

SITE = ROOT / "tests" / "fixtures" / "facts_site"


def _sources(path: Path, base: str) -> Path:
    blocks = ["include_defaults = false"]
    for name, lang in (("wire", "en"), ("daily", "zh")):
        blocks.append(f'[[source]]\nname = "{name}"\nlang = "{lang}"\n'
                      f'sitemaps = ["{base}/{name}/sitemap.xml"]\nallow = ["/{name}/"]\ninterval = "1h"\n')
    path.write_text("\n".join(blocks), "utf-8")
    return path


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crawled(request, tmp_path_factory):
    """A database with the facts site crawled into it, and the site still up."""
    from conftest import _fresh_pg_database, _require_pg

    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('facts') / 'cw.db'}"
    else:
        _require_pg()
        url, drop = _fresh_pg_database()
    with LocalSite(SITE) as site:
        sources = _sources(tmp_path_factory.mktemp("src") / "sources.toml", site.base_url)
        result = run_cli("crawl", "--sources", str(sources), "--db", url)
        assert result.returncode == 0, result.stderr
        yield {"url": url, "sources": sources}
    if drop:
        drop()


def _jsonl(command: str, url: str, *args: str) -> list[dict]:
    result = run_cli(command, "--db", url, "--format", "jsonl", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


_READ: dict[tuple, list[dict]] = {}


def facts(url: str, *args: str, fresh: bool = False) -> list[dict]:
    """`computewatch facts --format jsonl` (read once per database and arguments: each run is a
    new interpreter, and the database only changes in the last test)."""
    key = ("facts", url, args)
    if fresh or key not in _READ:
        _READ[key] = _jsonl("facts", url, *args)
    return _READ[key]


def claims(url: str, *args: str) -> list[dict]:
    key = ("claims", url, args)
    if key not in _READ:
        _READ[key] = _jsonl("claims", url, *args)
    return _READ[key]


def one(rows: list[dict], **match) -> dict:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [(r["fact"], r["subject"], r["value"]) for r in rows])
    return found[0]


def usd(value: float, currency: str, on: str) -> float:
    """The dollar value at the day's rate, from the rate sources themselves."""
    rates = tomllib.loads((ROOT / "nlp" / "data" / "exchange_rates.toml").read_text("utf-8"))
    if currency in rates:
        dated = sorted((d, r) for d, r in rates[currency].items() if d <= on)
        return value / dated[-1][1]
    from currency_converter import CurrencyConverter

    cc = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)
    return cc.convert(value, currency, "USD", date=date.fromisoformat(on))


def test_one_figure_in_three_scripts_is_one_fact_with_three_reports(crawled):
    rows = facts(crawled["url"], "--subject", "百度")
    f = one(rows, kind="money")
    assert (f["value"], f["currency"], f["period"], f["status"]) == (2e9, "USD", "2025", "planned")
    assert f["articles"] == 3 and f["langs"] == ["en", "zh"] and f["sources"] == ["daily", "wire"]
    assert sorted(c["text"] for c in f["claims"]) == ["$2 billion", "20亿美元", "20億美元"]
    assert (f["first_seen"], f["last_seen"]) == ("2025-01-10", "2025-01-12")
    assert f["current"] is True and f["supersedes"] == [] and f["conflicts_with"] == []


def test_a_conversion_in_parentheses_is_inside_its_fact(crawled):
    f = one(facts(crawled["url"], "--subject", "Alibaba"), kind="money")
    assert sorted((c["currency"], c["value"]) for c in f["claims"]) == [
        ("CNY", 3.8e11), ("CNY", 3.8e11), ("USD", 5.3e10)]
    assert f["articles"] == 2
    assert f["value_usd"] == 5.3e10                 # the stated conversion
    assert f["period"] == "2025-2027"               # 未来三年 / next three years, in February 2025


def test_same_value_different_sites_are_two_facts(crawled):
    rows = facts(crawled["url"], "--subject", "OpenAI", "--kind", "power")
    assert len(rows) == 2
    abilene = one(rows, referent="Abilene|Texas")
    ohio = one(rows, referent="Ohio")
    assert abilene["value"] == ohio["value"] == 1.2e9
    assert abilene["articles"] == 2 and abilene["langs"] == ["en", "zh"]
    assert ohio["articles"] == 1


def test_guidance_chain_links_and_replaced_figures_are_not_current(crawled):
    rows = facts(crawled["url"], "--subject", "Meta", "--kind", "money", "--period", "2025")
    a = one(rows, value=6e10, value_max=6.5e10)
    b = one(rows, value=6.4e10, value_max=7.2e10)
    c = one(rows, value=6.6e10, value_max=7.2e10)
    assert len(rows) == 3
    assert (a["superseded_by"], b["superseded_by"], c["superseded_by"]) == (b["fact"], c["fact"], None)
    assert (a["supersedes"], b["supersedes"], c["supersedes"]) == ([], [a["fact"]], [b["fact"]])
    assert (a["current"], b["current"], c["current"]) == (False, False, True)
    # The earlier figures quoted by the April and July stories join the facts they name.
    assert [x["earlier"] for x in a["claims"]] == [False, True]
    assert sorted(x["earlier"] for x in b["claims"]) == [False, True, True]
    assert c["articles"] == 2 and c["langs"] == ["en", "zh"]
    assert a["conflicts_with"] == b["conflicts_with"] == c["conflicts_with"] == []


def test_sources_disagreeing_at_the_same_time_conflict(crawled):
    rows = facts(crawled["url"], "--subject", "Microsoft")
    x, y = one(rows, value=8e10), one(rows, value=8.5e10)
    assert x["period"] == y["period"] == "FY2025"
    assert x["conflicts_with"] == [y["fact"]] and y["conflicts_with"] == [x["fact"]]
    assert x["current"] and y["current"] and x["superseded_by"] is None


@pytest.mark.parametrize("subject,currency,value,on", [
    ("Alibaba", "CNY", 3.8e11, "2025-02-24"),
    ("Tencent", "HKD", 5e9, "2025-03-18"),
    ("TSMC", "TWD", 1.3e12, "2025-06-15"),
    ("Mistral AI", "EUR", 8.5e9, "2025-02-10"),
])
def test_value_usd_at_the_article_dates_rate(crawled, subject, currency, value, on):
    rows = [r for r in claims(crawled["url"], "--subject", subject, "--currency", currency)
            if r["published"] == on]
    assert rows, subject
    for r in rows:
        assert r["value"] == value
        assert r["value_usd"] == pytest.approx(usd(value, currency, on), rel=1e-6)
    f = one(facts(crawled["url"], "--subject", subject), kind="money")
    assert f["value_usd"] is not None


def test_periods_are_resolved_against_the_article_date(crawled):
    bytedance = one(facts(crawled["url"], "--subject", "字节跳动"), kind="money")
    assert bytedance["period"] == "2025"            # 明年, written on 2024-12-20
    assert bytedance["status"] == "planned"
    tsmc = one(facts(crawled["url"], "--subject", "TSMC"), kind="money")
    assert tsmc["period"] == "2025"                 # 今年, 2025-06-15


def test_every_money_fact_has_value_usd_and_no_claim_is_in_two_facts(crawled):
    rows = facts(crawled["url"])
    assert all(r["value_usd"] is not None for r in rows if r["kind"] == "money")
    ids = [c["claim"] for r in rows for c in r["claims"]]
    assert len(ids) == len(set(ids)) == len(claims(crawled["url"]))
    for r in rows[:3] + [r for r in rows if r["articles"] >= 3]:
        listed = claims(crawled["url"], "--fact", str(r["fact"]))
        assert sorted(c["claim"] for c in listed) == sorted(c["claim"] for c in r["claims"])


def test_claims_filters_on_semantics(crawled):
    url = crawled["url"]
    earlier = [r for r in claims(url, "--subject", "Meta", "--status", "planned", "--period", "2025")]
    assert len(earlier) == 7
    big = claims(url, "--kind", "money", "--min-value", "6e10")   # dollars, whatever the currency
    assert {r["subject"] for r in big} == {"Meta", "Microsoft"}
    assert {r["currency"] for r in claims(url, "--min-value", "4e10", "--kind", "money")} >= {"TWD", "CNY"}
    assert {r["metric"] for r in claims(url, "--metric", "capex")} == {"capex"}


def test_facts_filters_and_sorts(crawled):
    url = crawled["url"]
    by_articles = facts(url, "--sort", "articles")
    assert [r["articles"] for r in by_articles] == sorted((r["articles"] for r in by_articles), reverse=True)
    assert all(r["articles"] >= 2 for r in facts(url, "--min-articles", "2"))
    assert all("zh" in r["langs"] for r in facts(url, "--lang", "zh"))
    by_usd = [r["value_usd"] for r in facts(url, "--kind", "money", "--sort", "value_usd")]
    assert by_usd == sorted(by_usd, reverse=True)
    assert {r["kind"] for r in facts(url, "--kind", "power", "--kind", "gpu_count")} == {"power"}
    assert all(r["last_seen"] >= "2025-07-01" for r in facts(url, "--since", "2025-07-01"))
    table = run_cli("facts", "--db", url, "--subject", "Meta")
    header, *lines = table.stdout.splitlines()          # piped: TSV
    assert table.returncode == 0 and header.startswith("fact\tfirst seen\tkind"), table.stdout
    assert lines and all(line.split("\t")[5] == "Meta" for line in lines), table.stdout
    csv_out = run_cli("facts", "--db", url, "--format", "csv")
    assert csv_out.returncode == 0 and csv_out.stdout.splitlines()[0].startswith("fact,subject,kind")


def test_second_crawl_and_reprocess_change_no_fact(crawled):
    url = crawled["url"]
    before = facts(url, fresh=True)
    with LocalSite(SITE) as site:
        sources = _sources(Path(crawled["sources"]).with_name("again.toml"), site.base_url)
        assert run_cli("crawl", "--sources", str(sources), "--db", url).returncode == 0
    assert facts(url, fresh=True) == before
    assert run_cli("reprocess", "--all", "--db", url).returncode == 0
    after = facts(url, fresh=True)

    def shape(rows):     # claims get new ids when recomputed; facts keep theirs
        return [{**r, "claims": [{k: v for k, v in c.items() if k != "claim"} for c in r["claims"]]}
                for r in rows]
    assert shape(after) == shape(before)
