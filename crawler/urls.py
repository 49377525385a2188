"""URL canonicalisation: one spelling per page, so a URL is never fetched twice across runs."""
from __future__ import annotations

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
