"""What a spider and its pipeline share for one source's crawl: the source, the run, the counts."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from crawler.sources import Source


@dataclass
class CrawlCounts:
    pages: int = 0                  # article pages fetched and stored
    errors: int = 0                 # requests that failed (HTTP errors, timeouts, too large, loops)
    skipped: int = 0                # not fetched or not stored: robots.txt, known URL, not HTML
    not_modified: int = 0           # feeds and sitemaps answered 304
    error_kinds: Counter = field(default_factory=Counter)
    skip_kinds: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)       # error kind -> a few URLs
    # Scrapy's crawler.stats, when set: every count is mirrored there too, under
    # computewatch/errors/<kind> and computewatch/skipped/<kind>, for Scrapy-side bookkeeping.
    stats: object = None

    def error(self, kind: str, url: str) -> None:
        self.errors += 1
        self.error_kinds[kind] += 1
        if self.stats is not None:
            self.stats.inc_value(f"computewatch/errors/{kind}")
        self.examples.setdefault(kind, [])
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(url)

    def skip(self, kind: str) -> None:
        self.skipped += 1
        self.skip_kinds[kind] += 1
        if self.stats is not None:
            self.stats.inc_value(f"computewatch/skipped/{kind}")

    def summary(self) -> dict:
        return {"errors": dict(self.error_kinds), "skipped": dict(self.skip_kinds),
                "examples": self.examples, "not_modified": self.not_modified}


@dataclass
class CrawlContext:
    source: Source
    source_id: int
    run_id: int
    database: object                      # storage.db.Database
    max_pages: int | None = None
    counts: CrawlCounts = field(default_factory=CrawlCounts)
    entry_points: int = 0                 # feeds, sitemaps and listing pages requested
    entry_points_ok: int = 0              # ... that answered (200 or 304)
    close_reason: str | None = None       # Scrapy's, set by computewatch.run_bookkeeping
    status: str | None = None             # the run's status (storage.runs.RunStatus), ditto
    requests: int = 0
    close_failed: str | None = None       # why the run row could not be closed
    validators: dict = field(default_factory=dict)   # entry URL -> (ETag, Last-Modified) to save
