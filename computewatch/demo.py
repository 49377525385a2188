"""`computewatch demo`: the whole pipeline on the bundled sample news site, offline.

Serves computewatch/sample_site (Compute Ledger: English and Chinese stories, an RSS feed, a
sitemap, a listing page, a GBK page, a robots.txt) on 127.0.0.1, crawls it into the configured
database (by default the SQLite file), and prints the claims stored from it. Run it twice: the
second crawl fetches nothing new and stores nothing twice.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from computewatch.localsite import LocalSite

SAMPLE_SITE = Path(__file__).parent / "sample_site"
SOURCE_NAME = "compute-ledger-demo"
# A fixed port keeps the demo's URLs the same from run to run (so a rerun finds them stored);
# any free port is used if it is taken.
PREFERRED_PORT = 8765


def _serve() -> LocalSite:
    site = LocalSite(SAMPLE_SITE, port=PREFERRED_PORT)
    try:
        site.start()
    except OSError:
        site = LocalSite(SAMPLE_SITE)
        site.start()
    return site


def invoked_as() -> str:
    """How to run computewatch again from here: `computewatch` when that is on PATH, else the
    path this one was started by (`make demo` runs .venv/bin/computewatch, not on PATH)."""
    import os
    import shutil

    argv0 = sys.argv[0]
    on_path = shutil.which("computewatch")
    if on_path and os.path.realpath(on_path) == os.path.realpath(argv0):
        return "computewatch"
    if os.path.basename(argv0) == "__main__.py":          # python -m computewatch
        return f"{os.path.relpath(sys.executable)} -m computewatch"
    return os.path.relpath(argv0) if os.path.exists(argv0) else "computewatch"


def run(conf) -> int:
    from computewatch.crawl import LiveDisplay, crawl
    from computewatch.output import write_claims_table, write_runs
    from crawler.sources import Source
    from storage import queries
    from storage.db import describe, open_database

    # Our own site on this machine: no politeness delay needed.
    conf = dataclasses.replace(conf, download_delay=0.0, autothrottle=False, fetch_timeout=10.0)
    site = _serve()
    try:
        base = site.base_url
        print(f"sample news site served on {base}; database {describe(conf.db)}", file=sys.stderr)
        source = Source(name=SOURCE_NAME, lang="en", feeds=(f"{base}/feed.xml",),
                        sitemaps=(f"{base}/sitemap.xml",), start_urls=(f"{base}/",),
                        allow=(r"/news/",))
        with LiveDisplay() as display:
            results = crawl(conf, [source], display=display)
    finally:
        site.stop()
    write_runs([r.__dict__ for r in results])
    database = open_database(conf.db)
    with database.session() as s:
        rows = queries.claims(s, queries.ClaimFilter(sources=[SOURCE_NAME]))
    database.dispose()
    write_claims_table(rows)
    print(f"{len(rows)} claims from the sample site are in {describe(conf.db)}; "
          f"try: {invoked_as()} claims --subject Meta", file=sys.stderr)
    return 0 if results and results[0].status == "ok" else 1
