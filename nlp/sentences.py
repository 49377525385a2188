"""Sentence boundaries for Chinese and English news text.

Regex rules rather than a statistical parser: news sentences end in 。！？； or .!? before a
capital, and line breaks separate paragraphs. Offsets are kept so claims can point back.
"""
from __future__ import annotations

import re

_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bInc)(?<!\bCorp)(?<!\bCo)(?<!\bLtd)" \
          r"(?<!\bJan)(?<!\bFeb)(?<!\bMar)(?<!\bApr)(?<!\bAug)(?<!\bSept)(?<!\bSep)(?<!\bOct)" \
          r"(?<!\bNov)(?<!\bDec)(?<!\bNo)(?<!\bvs)(?<!\bU\.S)(?<!\bU\.K)(?<!\be\.g)(?<!\bi\.e)"
_BOUNDARY = re.compile(
    r"\n+"                                        # paragraphs
    r"|(?<=[。！？；!?])[」』”’\"')）]*"            # Chinese (and bare !?) end marks, closing quotes
    r"|" + _ABBREV + r"(?<=[a-z0-9%)\]\"”’])[.!?][\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])"
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
