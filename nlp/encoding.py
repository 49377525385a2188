"""Bytes -> text for news pages, whatever the headers say.

Chinese sites often declare gb2312 while serving GBK, send no charset at all, or a server-wide
utf-8 header over GBK bytes. Order of trust: a BOM; valid UTF-8 (an unmistakable signal); the
declared charsets (meta, then HTTP header) when they decode cleanly; then charset-normalizer
limited to the plausible encodings. gb2312/gbk are read as gb18030 (their superset), big5 as
big5hkscs.
"""
from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
              "gb_2312-80": "gb18030", "big5": "big5hkscs", "x-big5": "big5hkscs",
              "cp950": "big5hkscs", "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
              "us-ascii": "cp1252"}
# Single-byte Western charsets decode anything: as a declaration they prove nothing.
_WEAK = {"cp1252", "windows-1252"}
_GUESSES = ["utf_8", "gb18030", "big5hkscs", "shift_jis", "euc_kr", "cp1252"]


class UndecodableError(ValueError):
    pass


def normalise_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def decode(body: bytes, content_type: str | None = None, html: bool = True) -> tuple[str, str]:
    """(text, encoding used). Raises UndecodableError when no encoding fits."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(enc, errors="replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = []
    if html:
        m = _META.search(body[:8192])
        if m:
            declared.append(m.group(1).decode("ascii", "ignore"))
    declared.append(charset_from_content_type(content_type))
    weak = None
    for name in declared:
        enc = normalise_name(name)
        if not enc or enc == "utf-8":
            continue
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc in _WEAK:
            weak = weak or (text, enc)
            continue
        return text, enc
    guess = _guess(body)
    if guess:
        return guess
    if weak:
        return weak
    raise UndecodableError("bytes are not valid in UTF-8, GBK, Big5 or any declared charset")


def _guess(body: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    sample = body[:65536]
    best = from_bytes(sample, cp_isolation=_GUESSES).best()
    if best is None:
        return None
    enc = normalise_name(best.encoding) or best.encoding
    try:
        # the sample may cut a multi-byte character at its end: decode the whole body leniently
        return body.decode(enc, errors="replace"), enc
    except LookupError:
        return None
