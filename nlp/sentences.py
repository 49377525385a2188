"""Sentence boundaries for Chinese and English news text.

Regex rules rather than a statistical parser: news sentences end in 。！？； or .!? before a
capital, and line breaks separate paragraphs. Offsets are kept so claims can point back.
"""
from __future__ import annotations

import re

# Abbreviations whose period does not end a sentence. Checked after the period has matched, so
# the look-behinds run only at periods, not at every character.
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Inc", "Corp", "Co", "Ltd", "Jan", "Feb", "Mar",
                  "Apr", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec", "No", "vs", "U.S", "U.K", "e.g",
                  "i.e", "Jr", "Sr", "Gov", "Sen", "Rep", "Prof", "approx")
_NOT_ABBREV = "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS)
_BOUNDARY = re.compile(
    r"\n+"                                        # paragraphs
    r"|(?<=[。！？；!?])[」』”’\"')）]*"            # Chinese (and bare !?) end marks, closing quotes
    r"|(?<=[a-z0-9%)\]\"”’])[.!?]" + _NOT_ABBREV + r"[\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])"
)


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence, whitespace trimmed, in order."""
    spans = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end > pos:
            spans.append((pos, end))
            pos = end
    if pos < len(text):
        spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def index_of(spans: list[tuple[int, int]], offset: int) -> int:
    """Index of the sentence holding `offset` (binary search over the sorted spans)."""
    lo, hi = 0, len(spans) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if spans[mid][0] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo
