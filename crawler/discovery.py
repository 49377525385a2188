"""Where article links come from: RSS/Atom feeds, XML sitemaps (indexes, news sitemaps), listings."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.urls import is_http


def feed_links(body: bytes, base_url: str) -> list[str]:
    """Entry links of an RSS or Atom feed (feedparser copes with both and with broken XML)."""
    import feedparser

    # Links are resolved below, not by feedparser: it blanks one it cannot resolve ("http://[::1"),
    # which would then go uncounted.
    parsed = feedparser.parse(body)
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (l.get("href") for l in entry.get("links", []) if l.get("rel") in (None, "alternate")), None)
        if link:
            link = _join(base_url, link)
            if is_http(link):
                links.append(link)
    return links


def is_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


@dataclass(slots=True)
class SitemapLinks:
    is_index: bool          # a sitemap index: `links` are more sitemaps
    links: list[str]


def sitemap_links(body: bytes, base_url: str) -> SitemapLinks | None:
    """The <loc>s of a sitemap or sitemap index (Google News sitemaps are plain urlsets)."""
    from scrapy.utils.sitemap import Sitemap

    try:
        sitemap = Sitemap(body)
    except Exception:          # lxml raises assorted errors on what is not XML
        return None
    if sitemap.type not in ("urlset", "sitemapindex"):
        return None            # other XML or HTML: not a sitemap
    links = [_join(base_url, entry["loc"]) for entry in sitemap if entry.get("loc")]
    return SitemapLinks(sitemap.type == "sitemapindex", [l for l in links if is_http(l)])


def _join(base_url: str, link: str) -> str:
    """The absolute link; one that does not parse is kept as it is, for the spider to count
    as bad_url (urljoin raises on "http://[::1/x", which would drop every link after it)."""
    link = link.strip()
    try:
        return urljoin(base_url, link)
    except ValueError:
        return link
