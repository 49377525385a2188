"""Currencies the text leaves to its context: a bare 元, or 億 with no currency word at all.

- 元 alone (flag `generic_yuan`) is the currency a paragraph set earlier (若以新台幣計價，……
  2847.5億元), else the page's own: CNY on a mainland page, TWD on a Taiwanese one, HKD on a
  Hong Kong one.
- 億 with no currency word in a money clause (flag `implied_currency`, 資本開支215億) is the
  currency of the nearest amount before it in the paragraph, else the same as a bare 元.

The page's locale is a documented heuristic (nlp/data/locales.toml): the source's domain, else
the script (traditional characters), then Hong Kong or Taiwan cue words.
"""
from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

from nlp import lexicon
from nlp.types import Mention


@cache
def _data() -> dict:
    return lexicon.load("locales.toml")


def is_traditional(text: str) -> bool:
    """More traditional-only than simplified-only characters in the first 20,000."""
    script = _data()["script"]
    sample = text[:20000]
    trad = sum(sample.count(ch) for ch in script["traditional"])
    simp = sum(sample.count(ch) for ch in script["simplified"])
    return trad > simp


def locale(text: str, source: str | None = None) -> str:
    """'TW', 'HK' or 'CN' for a Chinese page."""
    host = urlsplit(source).hostname or "" if source and "://" in source else ""
    for loc, marks in _data()["domains"].items():
        if host and any(host.endswith(m) or host.startswith(m) for m in marks):
            return loc
    if not is_traditional(text):
        return "CN"
    cues = _data()["cues"]
    sample = text[:20000]
    hk = sum(sample.count(w) for w in cues["HK"])
    tw = sum(sample.count(w) for w in cues["TW"])
    return "HK" if hk > tw else "TW"


@cache
def _paragraph_words() -> tuple[re.Pattern, dict]:
    words = {w: iso for iso, ws in _data()["paragraph"].items() for w in ws}
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True))), words


def resolve(mentions: list[Mention], text: str, source: str | None = None) -> None:
    """Fill in (in place) the currency of money mentions that the text leaves to context."""
    pending = [m for m in mentions if m.kind == "money"
               and ("generic_yuan" in m.flags or "implied_currency" in m.flags)]
    if not pending:
        return
    default = _data()["default"][locale(text, source)]
    pattern, words = _paragraph_words()
    money = [m for m in mentions if m.kind == "money"]
    for m in pending:
        p_start = text.rfind("\n", 0, m.start) + 1
        set_here = None
        for w in pattern.finditer(text, p_start, m.start):
            set_here = words[w.group()]
        if "implied_currency" in m.flags:
            before = [o for o in money if p_start <= o.end <= m.start and o.currency
                      and "implied_currency" not in o.flags]
            m.currency = before[-1].currency if before else set_here or default
        else:
            m.currency = set_here or default
