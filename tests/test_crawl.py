"""The crawler end to end: real Scrapy crawls of the fixture site into SQLite and PostgreSQL.

The fixture site (tests/fixtures/site, described by its EXPECTED.json) has RSS and Atom feeds, a
sitemap index with a Google News sitemap, a listing page, UTF-8/GBK/Big5 articles, a path
robots.txt disallows, a 500, a 404, a redirect chain and a loop, a page slower than the timeout,
an oversized page, a PDF link, the same article under a tracking URL and a mirror, and an
off-topic article. Every test runs `computewatch crawl` as a user would and reads the database.
"""
from __future__ import annotations

import json

import pytest

from computewatch.localsite import LocalSite
from crawl_helpers import EXPECTED, FIXTURE, fixture_sources, path_of, query, run_cli

EXPECTED_ARTICLES = EXPECTED["articles"]
CLAIM_KEYS = ("kind", "value", "value_max", "currency", "unit", "subject")


@pytest.fixture(scope="module")
def site():
    with LocalSite(FIXTURE) as s:
        yield s


def relevant_articles(db: str) -> dict[str, int]:
    return {path_of(url): aid for aid, url in query(
        db, "SELECT id, url FROM articles WHERE relevant = :t", t=True)}


def claims_by_article(db: str) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in query(db, """SELECT a.url, c.kind, c.value, c.value_max, c.currency, c.unit, c.subject
                            FROM claims c JOIN articles a ON a.id = c.article_id"""):
        out.setdefault(path_of(row[0]), []).append(tuple(row[1:]))
    return {k: sorted(v, key=repr) for k, v in out.items()}


def expected_claims() -> dict[str, list[tuple]]:
    return {path: sorted((tuple(c[k] for k in CLAIM_KEYS) for c in art["claims"]), key=repr)
            for path, art in EXPECTED_ARTICLES.items()}


def counts(db: str) -> tuple:
    return tuple(query(db, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("pages", "articles", "claims"))


def test_crawl_twice_stores_exactly_the_expected_claims_once(site, tmp_path, db_url):
    sources = fixture_sources(tmp_path / "sources.toml", site.base_url)
    site.reset_requests()
    first = run_cli("crawl", "--sources", str(sources), "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr

    # Exactly the on-topic articles, each with exactly its claims (and the redirect's target).
    assert sorted(relevant_articles(db_url)) == sorted(EXPECTED_ARTICLES)
    assert claims_by_article(db_url) == expected_claims()

    # Nothing from the disallowed, failed or off-topic pages.
    stored = {path_of(u) for (u,) in query(db_url, "SELECT url FROM pages")}
    for path in [*EXPECTED["must_not_store"], *EXPECTED["errors"], "/files/report.pdf"]:
        assert path not in stored, path
    assert "/private/secret.html" not in site.requests            # robots.txt obeyed
    assert query(db_url, "SELECT COUNT(*) FROM claims WHERE value = 777777")[0][0] == 0
    sports = query(db_url, "SELECT relevant, topic_score FROM articles WHERE url LIKE '%en-sports%'")
    assert sports and not sports[0][0]
    assert query(db_url, """SELECT COUNT(*) FROM claims c JOIN articles a ON a.id = c.article_id
                            WHERE a.relevant = :f""", f=False)[0][0] == 0

    # The tracking-parameter URL was canonicalised away. The mirror is dropped by its rel=canonical
    # (when the original is already stored) or stored as a duplicate page by its content hash.
    assert not any("utm_" in u for u in stored)
    copies = query(db_url, "SELECT outcome, article_id FROM pages WHERE url LIKE '%en-meta%'")
    assert sorted(o for o, _ in copies) in (["article"], ["article", "duplicate"])
    assert len({a for _, a in copies}) == 1

    # The run is recorded with its failures by kind.
    run = query(db_url, "SELECT status, pages, new_articles, new_claims, errors, error_summary "
                        "FROM crawl_runs")
    assert len(run) == 1
    status, pages, new_articles, new_claims, errors, summary = run[0]
    summary = summary if isinstance(summary, dict) else json.loads(summary)
    assert status == "ok"
    assert new_articles == len(EXPECTED_ARTICLES)
    assert new_claims == sum(len(a["claims"]) for a in EXPECTED_ARTICLES.values())
    assert summary["errors"] == {"http_500": 1, "http_404": 1, "redirect_loop": 1, "timeout": 1,
                                 "too_large": 1}
    assert errors == 5
    assert summary["skipped"].get("robots") == 1
    assert pages == len(stored)

    # Second crawl: feeds answer 304, no article is fetched again, nothing is added.
    before = counts(db_url)
    site.reset_requests()
    second = run_cli("crawl", "--sources", str(sources), "--db", db_url)
    assert second.returncode == 0, second.stderr
    assert counts(db_url) == before
    refetched = [p for p in site.requests if p.startswith(("/news/", "/mirror/", "/old/"))]
    assert refetched == []
    assert query(db_url, "SELECT pages, new_articles, new_claims FROM crawl_runs ORDER BY id")[1] == (0, 0, 0)
    feed_requests = [p for p in site.requests if p in ("/feed.xml", "/atom.xml")]
    assert len(feed_requests) == 2                                  # asked, conditionally
    summary = query(db_url, "SELECT error_summary FROM crawl_runs ORDER BY id")[1][0]
    summary = summary if isinstance(summary, dict) else json.loads(summary)
    # Both feeds answered 304. The sitemap index was not sent its validators: one of its links
    # failed for now (the 500), so it must offer that link again.
    assert summary["not_modified"] == 2


def test_reprocess_updates_claims_from_stored_pages_without_any_request(site, tmp_path, db_url):
    sources = fixture_sources(tmp_path / "sources.toml", site.base_url, max_pages=20)
    crawled = run_cli("crawl", "--sources", str(sources), "--db", db_url)
    assert crawled.returncode == 0, crawled.stderr
    good = claims_by_article(db_url)
    assert good, crawled.stdout + crawled.stderr
    version = query(db_url, "SELECT DISTINCT extractor_version FROM claims")
    assert len(version) == 1

    # What an older extractor left behind: other figures, a missing claim, an older version.
    query_all = [
        "UPDATE claims SET value = value + 1, extractor_version = '0.9-old'",
        "DELETE FROM claims WHERE id = (SELECT MIN(id) FROM claims)",
        "UPDATE pages SET processed_version = '0.9-old'",
        "UPDATE articles SET extractor_version = '0.9-old'",
    ]
    import sqlalchemy as sa
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        for sql in query_all:
            conn.execute(sa.text(sql))
    engine.dispose()
    assert claims_by_article(db_url) != good

    site.reset_requests()
    result = run_cli("reprocess", "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert site.requests == []                                      # offline
    assert claims_by_article(db_url) == good
    assert query(db_url, "SELECT DISTINCT extractor_version FROM claims") == version
    assert query(db_url, "SELECT COUNT(*) FROM pages WHERE processed_version <> :v",
                 v=version[0][0])[0][0] == 0
    assert "reprocessed" in result.stdout

    # Nothing left to do: a second reprocess reads no page.
    again = run_cli("reprocess", "--db", db_url)
    assert "reprocessed 0 page(s)" in again.stdout


def test_max_pages_caps_article_fetches(site, tmp_path):
    db = f"sqlite:///{tmp_path / 'cap.db'}"
    sources = fixture_sources(tmp_path / "sources.toml", site.base_url, feeds=[], start_urls=[])
    result = run_cli("crawl", "--sources", str(sources), "--db", db, "--max-pages", "3")
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT COUNT(*) FROM pages")[0][0] <= 3
    assert query(db, "SELECT pages FROM crawl_runs")[0][0] <= 3
