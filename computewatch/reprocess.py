"""`computewatch reprocess`: articles and claims recomputed from stored pages, offline.

Runs when the extractor changes (its version is a hash of the code release and the lexicons):
pages read by another version are read again; nothing is fetched.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger("computewatch.reprocess")


@dataclass
class ReprocessReport:
    version: str
    pages: int = 0
    outcomes: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return self.outcomes.get("error", 0)

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (f"reprocessed {self.pages} page(s) with extractor {self.version} "
                f"in {self.seconds:.1f} s" + (f": {parts}" if parts else ""))


def reprocess(conf, everything: bool = False, source: str | None = None,
              should_stop=lambda: False) -> ReprocessReport:
    from computewatch.crawl import sync_entities
    from computewatch.processing import process_safely
    from nlp import EXTRACTOR_VERSION
    from storage import pages, runs
    from storage.db import open_database

    database = open_database(conf.db)
    sync_entities(database)
    report = ReprocessReport(EXTRACTOR_VERSION)
    started = time.monotonic()
    with database.session() as s:
        source_id = None
        if source:
            source_id = runs.source_id(s, source)
            if source_id is None:
                from crawler.sources import SourcesError
                raise SourcesError(f"no pages stored for source {source!r}")
        ids = pages.pending_page_ids(s, EXTRACTOR_VERSION, source_id, everything=everything)
    for page_id in ids:
        if should_stop():
            break
        result = process_safely(database, page_id, EXTRACTOR_VERSION)
        report.pages += 1
        report.outcomes[result.outcome] += 1
    report.seconds = time.monotonic() - started
    database.dispose()
    log.info("reprocess", extra={"fields": {"version": EXTRACTOR_VERSION, "pages": report.pages,
                                            **report.outcomes, "seconds": round(report.seconds, 1)}})
    return report
