"""One spider for every source: its feeds, sitemaps and listing pages lead to article pages.

The spider only fetches and hands over pages (FetchedPage items); it never parses numbers.
Links are canonicalised and checked against the database before they are requested, so an
article URL is fetched once, ever; the database is asked through crawler.known.KnownUrls, in a
thread, never on the reactor thread (the callbacks are coroutines awaiting it).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import StopDownload
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

import logging

from crawler import discovery
from crawler.context import CrawlContext
from crawler.items import FetchedPage
from crawler.urls import canonical, usable

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
PERMANENT_ERRORS = {"too_large", "redirect_loop", "url_too_long", "not_a_sitemap", "not_a_feed",
                    "bad_url"}
MAX_SITEMAP_DEPTH = 3            # robots.txt -> index -> sitemap is the deepest sites go
DEFAULT_MAX_SITEMAPS = 200       # per source and run, entry points included (settings.max_sitemaps)
MAX_URL_LENGTH = 2048            # the pages.url column
_CANONICAL_LINK = re.compile(rb"""<link\b[^>]*\brel=["']?canonical["']?[^>]*>""", re.I)
_HREF = re.compile(rb"""\bhref=["']([^"']+)["']""", re.I)


class SourceSpider(scrapy.Spider):
    name = "computewatch"

    def __init__(self, context: CrawlContext, **kwargs):
        super().__init__(name=context.source.name, **kwargs)
        self.context = context
        self.source = context.source
        self.allowed_domains = list(self.source.domains)
        # Entry points are listings, never articles, even when a sitemap lists them.
        self._article_requests = 0          # for max_pages
        self._sitemap_requests = len(self.source.sitemaps)    # for COMPUTEWATCH_MAX_SITEMAPS
        self.incomplete: set[str | None] = set()   # entry points with links left for next time
        self.requested: set[str] = {canonical(u) for u in
                                    (*self.source.feeds, *self.source.sitemaps, *self.source.start_urls)}
        # Hosts are checked by _on_site (LinkExtractor's allow_domains compares host:port).
        self.listing = LinkExtractor(allow=self.source.allow, deny=self.source.deny)
        self.deny = [re.compile(p) for p in self.source.deny]
        self.known = None                   # crawler.known.KnownUrls, set by from_crawler
        self.dont_filter = True             # False with a shared frontier (from_crawler)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        known_cls = load_object(crawler.settings.get("COMPUTEWATCH_KNOWN_URLS",
                                                     "crawler.known.KnownUrls"))
        spider.known = build_from_crawler(known_cls, crawler)
        # Links are de-duplicated by the spider itself (`requested`, dont_filter); with a frontier
        # shared in Redis (crawler.frontier) by its duplicate filter, across processes.
        spider.dont_filter = not crawler.settings.getbool("COMPUTEWATCH_SHARED_FRONTIER")
        return spider

    # --- entry points -------------------------------------------------------------------------
    async def start(self):
        self.context.counts.stats = self.crawler.stats     # counts mirrored (crawler.context)
        for url in self.source.feeds:
            yield await self._entry(url, self.parse_feed, conditional=True)
        for url in self.source.sitemaps:
            yield await self._entry(url, self.parse_sitemap, conditional=True)
        for url in self.source.start_urls:
            yield await self._entry(url, self.parse_listing)

    async def _entry(self, url: str, callback, conditional: bool = False) -> scrapy.Request:
        headers = {}
        if conditional:            # ETag / Last-Modified seen last time: 304 if nothing changed
            etag, modified = await self.known.validators(url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        self.context.entry_points += 1
        return scrapy.Request(url, callback=callback, errback=self.on_error, headers=headers,
                              dont_filter=True,
                              meta={"entry": True, "via": url, "handle_httpstatus_list": [304]})

    def _answered(self, response) -> bool:
        """Count an entry point that answered; False when it said 'not modified'."""
        if response.meta.get("entry"):
            self.context.entry_points_ok += 1
        if response.status == 304:
            self.context.counts.not_modified += 1
            return False
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if response.meta.get("entry") and (etag or modified):
            # Kept until the crawl ends: saved only if every link it gave was dealt with (see
            # save_validators_if_complete), else the next run would get a 304 and miss them.
            asked = response.meta.get("redirect_urls", [response.request.url])[0]   # before redirects
            self.context.validators[asked] = (etag.decode("latin-1") if etag else None,
                                              modified.decode("latin-1") if modified else None)
        return True

    def save_validators_if_complete(self, reason: str) -> None:
        """Save the validators of the entry points whose every link was dealt with: fetched,
        or refused for good (404, too large...). A link left for later (max_pages), failing for
        now (5xx, timeout) or not stored must be offered again by the next run's feed."""
        if reason != "finished" or self.context.counts.error_kinds.get("store_failed"):
            return None
        done = {url: v for url, v in self.context.validators.items() if url not in self.incomplete}
        return self.known.save_validators(done) if done else None

    def closed(self, reason):
        return self.save_validators_if_complete(reason)     # a Deferred Scrapy waits for

    async def parse_feed(self, response):
        if not self._answered(response):
            return
        body = response.body
        if discovery.sitemap_links(body, response.url) is not None:
            async for r in self.parse_sitemap(response, counted=True):   # a sitemap listed as a feed
                yield r
            return
        links = discovery.feed_links(body, response.url)
        if not links and not discovery.is_feed(body):
            self.context.counts.error("not_a_feed", response.url)
        async for r in self._articles(links, response.meta.get("via")):
            yield r

    async def parse_sitemap(self, response, counted: bool = False):
        if not counted and not self._answered(response):
            return
        if urlsplit(response.url).path == "/robots.txt":      # a site's sitemaps, as robots lists them
            from scrapy.utils.sitemap import sitemap_urls_from_robots
            for r in self._sitemaps(sitemap_urls_from_robots(response.text, base_url=response.url),
                                    response):
                yield r
            return
        try:
            found = discovery.sitemap_links(_gunzip(response), response.url)
        except (OSError, EOFError, ValueError):          # a corrupt or oversized .gz
            found = None
        if found is None:
            self.context.counts.error("not_a_sitemap", response.url)
            return
        if found.is_index:
            for r in self._sitemaps(found.links, response):
                yield r
        else:
            async for r in self._articles(found.links, response.meta.get("via")):
                yield r

    def _sitemaps(self, urls, response):
        """Requests for the sitemaps an index lists: each once, at most MAX_SITEMAP_DEPTH deep
        (an index that lists itself, or two that list each other, must not loop)."""
        depth = response.meta.get("sitemap_depth", 0) + 1
        if depth > MAX_SITEMAP_DEPTH:
            self.context.counts.error("sitemap_too_deep", response.url)
            return
        limit = self.settings.getint("COMPUTEWATCH_MAX_SITEMAPS", DEFAULT_MAX_SITEMAPS)
        for url in urls:
            url = canonical(url)
            if url in self.requested or not self._usable(url) or not self._on_site(url):
                continue
            self.requested.add(url)
            if self._sitemap_requests >= limit:     # an index fanning out without end
                if not self.context.counts.error_kinds.get("sitemap_limit"):
                    self.context.counts.error("sitemap_limit", url)
                self.context.counts.skip("sitemap_limit")
                self.incomplete.add(response.meta.get("via"))
                continue
            self._sitemap_requests += 1
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                                 dont_filter=self.dont_filter,
                                 meta={"sitemap_depth": depth, "via": response.meta.get("via")})

    async def parse_listing(self, response):
        self._answered(response)
        if not hasattr(response, "text"):
            return
        async for r in self._articles([link.url for link in self.listing.extract_links(response)],
                                      response.meta.get("via")):
            yield r

    # --- article pages ------------------------------------------------------------------------
    async def _articles(self, links: list[str], via: str | None):
        """Requests for the links not requested in this run nor stored in an earlier one.

        `via` is the entry point (feed, sitemap, listing) the links come from."""
        fresh = []
        for link in links:
            url = canonical(link)
            if not self._usable(url):
                continue
            if any(p.search(url) for p in self.deny) or urlsplit(url).path in ("", "/"):
                self.context.counts.skip("denied")       # a home page is not an article
                continue
            if url not in self.requested and self._on_site(url):
                self.requested.add(url)
                fresh.append(url)
        known = await self.known.known(fresh)
        for url in fresh:
            if url in known:
                self.context.counts.skip("known")
                continue
            if self.context.max_pages is not None and self._article_requests >= self.context.max_pages:
                self.context.counts.skip("max_pages")
                self.incomplete.add(via)
                continue
            self._article_requests += 1
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 dont_filter=self.dont_filter, meta={"canonical": url, "via": via})

    def _usable(self, url: str) -> bool:
        """False (counted as bad_url, for good) for a link no request can be made of."""
        if usable(url):
            return True
        if url not in self.requested:       # counted once however often it is listed
            self.requested.add(url)
            self.context.counts.error("bad_url", url[:200])
        return False

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.source.domains)

    async def parse_article(self, response):
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            self.context.counts.skip("not_html")
            return
        if not self._on_site(response.url):
            self.context.counts.skip("offsite_redirect")
            return
        if len(response.meta["canonical"]) > MAX_URL_LENGTH:
            self.context.counts.error("url_too_long", response.meta["canonical"][:200])
            return
        canonical_url = _canonical_link(response)
        if canonical_url and urlsplit(canonical_url).path in ("", "/"):
            canonical_url = None          # "every page is the home page": a broken template
        if canonical_url and canonical_url != response.meta["canonical"]:
            if await self.known.known([canonical_url]):
                self.context.counts.skip("canonical_known")   # rel=canonical names a stored page
                return
        yield FetchedPage(url=response.meta["canonical"], final_url=response.url,
                          status=response.status, headers=_headers(response), body=response.body)

    # --- failures -----------------------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        kind = classify(failure)
        if kind in ("robots", "offsite_redirect"):
            self.context.counts.skip(kind)
        else:
            self.context.counts.error(kind, request.url)
            if kind not in PERMANENT_ERRORS and not kind.startswith("http_4"):
                self.incomplete.add(request.meta.get("via"))     # worth another try next run
            log.debug("fetch failed: %s %s", kind, request.url)


def classify(failure) -> str:
    """A short, stable name for why a request failed (stored in crawl_runs.error_summary)."""
    exc = failure.value
    message = str(exc)
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if "robots.txt" in message:
        return "robots"
    if "Filtered offsite request" in message:      # crawler.middlewares, before connecting
        return "offsite_redirect"
    if "max redirections" in message:
        return "redirect_loop"
    # Over DOWNLOAD_MAXSIZE: announced (Content-Length), streamed past it (an endless body,
    # stopped by crawler.middlewares.BodySizeLimit) or decompressed past it (a gzip bomb).
    if isinstance(exc, StopDownload) or "max size" in message or "MAXSIZE" in message.upper():
        return "too_large"
    if isinstance(exc, (TimeoutError, TCPTimedOutError)) or "took longer than" in message:
        return "timeout"
    if isinstance(exc, DNSLookupError):
        return "dns"
    name = type(exc).__name__
    return {"ConnectionRefusedError": "connection_refused", "ConnectError": "connection",
            "ResponseNeverReceived": "connection_lost", "ConnectionLost": "connection_lost"
            }.get(name, name.lower())


def _canonical_link(response) -> str | None:
    m = _CANONICAL_LINK.search(response.body[:200_000])
    href = m and _HREF.search(m.group())
    if not href:
        return None
    return canonical(response.urljoin(href.group(1).decode("utf-8", "replace").strip()))


def _headers(response) -> dict:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


def _gunzip(response) -> bytes:
    body = response.body
    if body[:2] == b"\x1f\x8b":
        from scrapy.utils.gz import gunzip
        return gunzip(body, max_size=50 * 1024 * 1024)
    return body
