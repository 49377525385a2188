"""URL canonicalisation: one spelling per page, so a URL is never fetched twice across runs."""
from __future__ import annotations

from urllib.parse import urlsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url


def canonical(url: str) -> str:
    """Tracking parameters dropped (courlan), query sorted and fragment removed (w3lib)."""
    try:
        return canonicalize_url(normalize_url(url.strip()))
    except (ValueError, AttributeError):
        return url.strip()


def is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def usable(url: str) -> bool:
    """Whether a link can be requested at all: http(s), a host, a port in range. A feed or
    sitemap may hold anything (`:99999`, `:abc`, `[::1`); one such link must not abort the rest."""
    if not is_http(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port                      # raises on a port out of range or not a number
    except ValueError:
        return False
    return bool(parts.hostname) and not any(c in url for c in " \t\r\n\x00")
