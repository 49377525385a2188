"""A page (bytes) -> an Article: the news text without boilerplate, and its metadata.

HTML goes through trafilatura (navigation, related-story lists and comments are not the article,
and numbers there must give no claims); plain text is taken as it is, its first line the title.
"""
from __future__ import annotations

import hashlib
import re

from nlp import encoding
from nlp.textnorm import detect_lang
from nlp.types import Article

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|article|div|p)\b",
                         re.IGNORECASE)


_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}


class NotAnArticle(ValueError):
    """The bytes are not a page we can read (binary, empty, a PDF, undecodable)."""


def looks_like_html(body: bytes, content_type: str | None = None, name: str | None = None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    if name and name.lower().endswith((".txt", ".text", ".md")):
        return False
    return bool(_HTML_SNIFF.search(body[:4096]))


def check_bytes(body: bytes) -> None:
    """Refuse what is clearly not a web page or text, with a reason a user can act on."""
    if not body or not body.strip():
        raise NotAnArticle("empty")
    head = body[:8192]
    if head.startswith(b"%PDF"):
        raise NotAnArticle("a PDF document, not a web page")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")):
        raise NotAnArticle("binary data (an image, archive or program), not a web page")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a BOM: half its bytes are NULs; count control characters, not bytes.
        head = head[:len(head) // 2 * 2].decode("utf-16", errors="replace").encode("utf-8")
    elif b"\x00" in head:
        raise NotAnArticle("binary data, not a web page or text")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > len(head) * 0.1:
        raise NotAnArticle("binary data (control bytes), not a web page or text")


def content_hash(text: str) -> str:
    """sha1 of the text with whitespace collapsed: the same article under two URLs hashes alike."""
    return hashlib.sha1(re.sub(r"\s+", " ", text).strip().encode("utf-8")).hexdigest()


def from_bytes(body: bytes, url: str | None = None, content_type: str | None = None,
               name: str | None = None) -> Article:
    check_bytes(body)
    is_html = looks_like_html(body, content_type, name or url)
    try:
        text, enc = encoding.decode(body, content_type, html=is_html)
    except encoding.UndecodableError as e:
        raise NotAnArticle(str(e)) from None
    if "\ufffd" in text[:4096] and text[:4096].count("\ufffd") > 50:
        raise NotAnArticle("mostly undecodable bytes")
    art = from_html(text, url) if is_html else from_text(text, url)
    art.encoding = enc
    return art


def from_text(text: str, url: str | None = None) -> Article:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\ufeff")
    if not text.strip():
        raise NotAnArticle("empty")
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Article(text=text, title=title, lang=detect_lang(text), url=url,
                   content_hash=content_hash(text))


def from_html(html: str, url: str | None = None) -> Article:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False, favor_precision=True,
        # Dates from markup and URL patterns only: htmldate's extensive search runs dateparser
        # over free text, which costs more than the whole extraction and rarely finds more.
        date_extraction_params=_DATE_PARAMS)
    if doc is None or not (doc.text or "").strip():
        raise NotAnArticle("no article text found in the HTML")
    body = doc.text.strip()
    title = (doc.title or "").strip() or None
    # The title is the article's first line (claims in headlines count, as in the seed gold).
    text = body if not title or body.startswith(title) else f"{title}\n{body}"
    return Article(
        text=text, title=title, published=(doc.date or None), author=(doc.author or None),
        lang=detect_lang(text), url=url, canonical_url=_canonical(doc.url, url),
        content_hash=content_hash(body))


def _canonical(found: str | None, url: str | None) -> str | None:
    if found and found.startswith(("http://", "https://")):
        return found
    return url if url and url.startswith(("http://", "https://")) else None
