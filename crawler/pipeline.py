"""Item pipeline: fetched pages go to the database in small batches, where workers find them.

Writes are batched (a transaction per BATCH pages or per FLUSH_SECONDS) so storing raw pages
costs the reactor little; a stored page is pending in the queue (storage.queue) and workers in
other processes take it (computewatch.worker).
"""
from __future__ import annotations

import logging

from twisted.internet import task

from crawler.items import FetchedPage
from storage.pages import store_pages

log = logging.getLogger(__name__)
BATCH = 50
FLUSH_SECONDS = 0.5


class StorePagesPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.buffer: list[FetchedPage] = []
        self.loop = task.LoopingCall(self.flush)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def context(self):
        return self.crawler.spider.context

    def open_spider(self):
        self.loop.start(FLUSH_SECONDS, now=False)

    def process_item(self, item):
        if isinstance(item, FetchedPage):
            self.buffer.append(item)
            if len(self.buffer) >= BATCH:
                self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        pages, self.buffer = self.buffer, []
        ctx = self.context
        try:
            with ctx.database.session() as s:
                ids = store_pages(s, pages, ctx.source_id, ctx.run_id)
        except Exception as e:       # the database failed us: count it, keep crawling
            # The pages are not stored, so not known: the next run fetches them again (and this
            # run's feed validators are not saved, see SourceSpider.save_validators_if_complete).
            log.error("storing %d pages failed: %s", len(pages), str(e).splitlines()[0])
            for page in pages:
                ctx.counts.error("store_failed", page.url)
            return
        ctx.counts.pages += len(ids)
        duplicates = len(pages) - len(ids)
        if duplicates:            # stored meanwhile (another process, or a redirect target twice)
            for _ in range(duplicates):
                ctx.counts.skip("known")

    def close_spider(self):
        if self.loop.running:
            self.loop.stop()
        self.flush()
