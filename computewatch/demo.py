"""`computewatch demo`: the pipeline on the bundled sample news site, offline.

Serves computewatch/sample_site on 127.0.0.1, reads its sitemap, fetches every page over HTTP and
prints the claims found. (Until the crawler and database land, this is the whole pipeline minus
storage: fetch -> article -> claims.)
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from computewatch import inputs, settings as settings_mod
from computewatch.localsite import LocalSite

SAMPLE_SITE = Path(__file__).parent / "sample_site"
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_urls(xml_bytes: bytes) -> list[str]:
    root = ET.fromstring(xml_bytes)
    return [loc.text.strip() for loc in root.iter(f"{_SITEMAP_NS}loc") if loc.text]


def run() -> int:
    from nlp.article import NotAnArticle
    from nlp.pipeline import extract_page
    from computewatch.output import write_table

    conf = settings_mod.load()
    with LocalSite(SAMPLE_SITE) as site:
        base = site.base_url
        print(f"sample news site served on {base}", file=sys.stderr)
        sitemap = inputs.read(f"{base}/sitemap.xml", conf.max_page_bytes, conf.fetch_timeout,
                              conf.user_agent)
        urls = [u for u in sitemap_urls(sitemap.body) if u.rstrip("/") != base]
        rows, failures = [], 0
        for url in urls:
            try:
                raw = inputs.read(url, conf.max_page_bytes, conf.fetch_timeout, conf.user_agent)
                result = extract_page(raw.body, url, raw.content_type, url=raw.url)
            except (inputs.InputError, NotAnArticle) as e:
                print(f"computewatch: error: {url}: {e}", file=sys.stderr)
                failures += 1
                continue
            for c in result.claims:
                row = c.to_dict()
                row["page"] = url.rsplit("/", 1)[-1].removesuffix(".html")
                rows.append(row)
        write_table(rows, title=f"claims in the sample site ({len(urls)} pages)", extra=["page"])
        print(f"{len(urls)} pages, {len(rows)} claims, {failures} errors", file=sys.stderr)
    return 0
