"""What the database already knows, asked off the reactor thread.

Spider callbacks run on Twisted's reactor thread: a synchronous database session there stalls
every download in flight (a locked SQLite file, a slow PostgreSQL). `KnownUrls` is the
spider's one door to the database: each question runs in the reactor's thread pool
(deferToThread) and the callback awaits it. Built by `SourceSpider.from_crawler` from the
COMPUTEWATCH_KNOWN_URLS setting, so another implementation (a preloaded set, a cache in
Redis) can be swapped in without touching the spider.
"""
from __future__ import annotations

from twisted.internet.threads import deferToThread
from scrapy.utils.defer import maybe_deferred_to_future

from storage.pages import known_urls, save_validators, validators

BATCH = 500          # URLs per query: well under every database's bound-parameter limit


class KnownUrls:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def database(self):
        return self.crawler.spider.context.database

    async def known(self, urls: list[str]) -> set[str]:
        """Those of `urls` stored as a page or as an article's canonical URL."""
        if not urls:
            return set()
        return await maybe_deferred_to_future(deferToThread(self._known, list(urls)))

    async def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) last seen for a feed or sitemap."""
        return await maybe_deferred_to_future(deferToThread(self._validators, url))

    def save_validators(self, entries: dict) -> object:
        """A Deferred saving {url: (etag, last_modified)} from a thread."""
        return deferToThread(self._save_validators, dict(entries))

    # --- in the thread pool ----------------------------------------------------------------
    def _known(self, urls: list[str]) -> set[str]:
        found: set[str] = set()
        with self.database.session() as s:
            for i in range(0, len(urls), BATCH):
                found |= known_urls(s, urls[i:i + BATCH])
        return found

    def _validators(self, url: str):
        with self.database.session() as s:
            return validators(s, url)

    def _save_validators(self, entries: dict) -> None:
        with self.database.session() as s:
            for url, (etag, modified) in entries.items():
                save_validators(s, url, etag, modified)
