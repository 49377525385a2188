"""`computewatch reprocess`: articles and claims recomputed from stored pages, offline.

Runs when the extractor changes (its version is a hash of the code release and the lexicons):
pages read by another version are pending in the queue by that alone; `--all` makes every page
pending. Then a worker (computewatch.worker, the same loop as everywhere) processes them here,
beside any other worker running; nothing is fetched.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from computewatch.worker import WorkerReport

log = logging.getLogger("computewatch.reprocess")


@dataclass
class ReprocessReport(WorkerReport):
    version: str = ""

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (f"reprocessed {self.pages} page(s) with extractor {self.version} "
                f"in {self.seconds:.1f} s" + (f": {parts}" if parts else ""))


def reprocess(conf, everything: bool = False, source: str | None = None,
              should_stop=lambda: False) -> ReprocessReport:
    from computewatch.crawl import sync_entities
    from computewatch.worker import Worker
    from nlp import EXTRACTOR_VERSION
    from storage import queue, runs
    from storage.db import open_database

    database = open_database(conf.db)
    sync_entities(database)
    try:
        with database.session(write=True) as s:
            source_id = None
            if source:
                source_id = runs.source_id(s, source)
                if source_id is None:
                    from crawler.sources import SourcesError
                    raise SourcesError(f"no pages stored for source {source!r}")
            pending = queue.mark_for_reprocessing(s, EXTRACTOR_VERSION, source_id, everything)
        log.info("reprocess queued", extra={"fields": {"version": EXTRACTOR_VERSION,
                                                       "pending": pending}})
        worker = Worker(database, EXTRACTOR_VERSION, lease=conf.worker_lease,
                        scope=queue.Scope(source_id=source_id), should_stop=should_stop)
        report = ReprocessReport(**vars(worker.run(finish=lambda: True)), version=EXTRACTOR_VERSION)
    finally:
        database.dispose()
    log.info("reprocess", extra={"fields": {"version": EXTRACTOR_VERSION, "pages": report.pages,
                                            **report.outcomes, "seconds": round(report.seconds, 1)}})
    return report
