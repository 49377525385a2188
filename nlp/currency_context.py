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


_GLOSS = re.compile(r"\s?[（(]\s?(?P<word>[^，,、)）\s]{2,4})\s?(?:[，,、]\s?(?P<same>下同|以下同|下文同))?")


_SAME_BELOW = re.compile(r"\s?[，,、]?\s?(?:下同|以下同|下文同)")


def _setters(text: str) -> list[tuple[int, str, str, int]]:
    """(offset, ISO, scope, where its paragraph starts) of every currency word that sets one.

    A gloss that says 下同 (2476.52億元（人民幣，下同）) holds for the rest of the article; a bare
    currency word (若以新台幣計價) for the rest of its paragraph."""
    pattern, words = _paragraph_words()
    out = []
    for w in pattern.finditer(text):
        opened = re.search(r"[（(]\s?$", text[max(0, w.start() - 2):w.start()])
        same = opened and _SAME_BELOW.match(text, w.end())
        out.append((w.start(), words[w.group()], "article" if same else "paragraph",
                    text.rfind("\n", 0, w.start()) + 1))
    return out


def resolve(mentions: list[Mention], text: str, source: str | None = None) -> None:
    """Fill in (in place) the currency of money mentions that the text leaves to context."""
    pending = [m for m in mentions if m.kind == "money"
               and ("generic_yuan" in m.flags or "implied_currency" in m.flags)]
    if not pending:
        return
    default = _data()["default"][locale(text, source)]
    setters = _setters(text)
    pattern, words = _paragraph_words()
    explicit = [m for m in mentions if m.kind == "money" and m.currency
                and "implied_currency" not in m.flags and "generic_yuan" not in m.flags]
    for m in pending:
        p_start = text.rfind("\n", 0, m.start) + 1
        gloss = _GLOSS.match(text, m.end)      # 2476.52 億元 (人民幣，下同): its own gloss first
        if gloss and gloss.group("word") in words:
            m.currency = words[gloss.group("word")]
            continue
        set_here = None
        for off, iso, scope, para in setters:
            if off < m.start and (scope == "article" or para == p_start):
                set_here = iso
        if "implied_currency" in m.flags:
            # the nearest amount before it in the paragraph; else the same figure written in
            # full elsewhere (a title's 2000亿 is the body's 2000亿美元)
            before = [o for o in explicit if p_start <= o.end <= m.start]
            same = [o for o in explicit if abs(o.value - m.value) <= 0.05 * m.value]
            m.currency = (before[-1].currency if before else same[0].currency if same
                          else set_here or default)
        else:
            m.currency = set_here or default
