"""`extract` and `crawl` run one pipeline (nlp.pipeline.process_page): for the same page they give
the same claims, the topic filter included (an off-topic page has none in either)."""
from __future__ import annotations

import json

from computewatch.localsite import LocalSite
from crawl_helpers import EXPECTED, FIXTURE, fixture_sources, path_of, query, run_cli

KEYS = ("kind", "value", "value_max", "unit", "currency", "approx", "subject", "metric", "text",
        "sentence", "start", "end", "lang")


def test_extract_and_crawl_give_the_same_claims_for_the_same_pages(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalSite(FIXTURE) as site:
        sources = fixture_sources(tmp_path / "sources.toml", site.base_url)
        crawled = run_cli("crawl", "--sources", str(sources), "--db", db)
        assert crawled.returncode == 0, crawled.stderr
        pages = query(db, "SELECT p.final_url, p.outcome, p.article_id FROM pages p "
                          "WHERE p.outcome IN ('article', 'irrelevant')")
        urls = [u for u, _, _ in pages]
        extracted = run_cli("extract", "--format", "jsonl", *urls)
    assert extracted.returncode == 0, extracted.stderr
    by_extract: dict[str, list] = {u: [] for u in urls}
    for line in extracted.stdout.splitlines():
        c = json.loads(line)
        by_extract[c["source"]].append(tuple(c[k] for k in KEYS))
    cols = ", ".join(f'c."{k}"' for k in KEYS)
    for url, outcome, article_id in pages:
        stored = query(db, f"SELECT {cols} FROM claims c WHERE c.article_id = :a", a=article_id)
        assert sorted(map(tuple, stored), key=repr) == sorted(by_extract[url], key=repr), url
    off_topic = {path_of(u) for u, outcome, _ in pages if outcome == "irrelevant"}
    assert set(EXPECTED["irrelevant"]) <= off_topic
    for url in urls:
        if path_of(url) in off_topic:
            assert by_extract[url] == []
    assert sum(len(v) for v in by_extract.values()) > 0
