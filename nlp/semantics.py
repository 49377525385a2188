"""What a figure means (DESIGN.md): status, period, value in US dollars, H100-equivalents, and
whether the text gives it as an earlier figure ("raised from $60-65 billion", 此前预期).

Runs after the claims are found, once the article's date is known (its published date, else the
fetch date): relative periods and exchange rates depend on it. Pure: claims in, claims out.
Vocabularies are in nlp/data/semantics.toml and nlp/data/referents.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from nlp import h100e as h100e_mod, lexicon, periods, usd
from nlp.types import Claim

_CLAUSE = re.compile(r"[，,；;：:。！？!?（）()]")


def _words(words: list[str]) -> str:
    """Alternation of words, longest first; ASCII words only on word boundaries."""
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        e = re.escape(w).replace(r"\ ", r"\s+")
        if w[:1].isascii() and w[:1].isalnum():
            e = rf"(?<![A-Za-z]){e}(?![A-Za-z])" if w[-1:].isalnum() else rf"(?<![A-Za-z]){e}"
        parts.append(e)
    return "|".join(parts)


@dataclass(frozen=True)
class _Vocab:
    status: list[tuple[str, re.Pattern]]
    not_estimate: re.Pattern
    earlier_before: re.Pattern
    earlier_strong: re.Pattern
    earlier_after: re.Pattern
    earlier_clause: re.Pattern
    to_word: re.Pattern
    revision: re.Pattern
    families: dict[str, str]
    referents: re.Pattern
    referent_names: dict[str, str]


# Markers that need a second signal (a revision word, or "to <figure>" after) to mean "earlier":
# "revenue from cloud of $10 billion" is no earlier figure.
_WEAK_EARLIER = {"from", "由", "从", "從", "versus", "vs.", "compared with", "compared to"}


@cache
def vocab() -> _Vocab:
    data = lexicon.load("semantics.toml")
    status = [(s, re.compile(_words(data["status"][s]), re.IGNORECASE))
              for s in ("estimate", "planned", "actual")]
    before = data["earlier"]["before"]
    strong = [w for w in before if w not in _WEAK_EARLIER]
    families = {m: fam for fam, ms in data["family"].items() for m in ms}
    refs = lexicon.load("referents.toml")
    names = {alias.lower(): name for name, aliases in refs.items() for alias in aliases}
    return _Vocab(
        status=status,
        not_estimate=re.compile(_words(data["status"]["not_estimate"]), re.IGNORECASE),
        earlier_before=re.compile(rf"(?:{_words(before)})\s*(?:about|around|roughly|约|約)?\s*$", re.IGNORECASE),
        earlier_strong=re.compile(rf"(?:{_words(strong)})\s*(?:about|around|roughly|约|約)?\s*$", re.IGNORECASE),
        earlier_clause=re.compile(_words(data["earlier"]["clause"]), re.IGNORECASE),
        earlier_after=re.compile(rf"^\s*(?:{_words(data['earlier']['after'])})", re.IGNORECASE),
        to_word=re.compile(rf"^\s*(?:{_words(data['earlier']['to'])})\s*(?:about|around|约|約)?\s*$", re.IGNORECASE),
        revision=re.compile(_words(data["revision"]["words"]), re.IGNORECASE),
        families=families,
        referents=re.compile(_words(list(names)), re.IGNORECASE),
        referent_names=names)


def family(metric: str | None) -> str | None:
    """The group of metrics that may name one figure (capex and spend are one outlay)."""
    return vocab().families.get(metric, metric) if metric else None


def is_revision(sentence: str) -> bool:
    """The sentence says a figure was raised, cut or revised."""
    return bool(vocab().revision.search(sentence))


def annotate(claims: list[Claim], text: str, on: date) -> list[Claim]:
    """Fill status, period, value_usd(_max), h100e, earlier and referent; `on` is the article's
    date. Returns the same claims."""
    v = vocab()
    for c in claims:
        s_lo = _sentence_start(text, c)
        s_hi = s_lo + len(c.sentence)
        c_lo = max([s_lo] + [m.end() for m in _CLAUSE.finditer(text, s_lo, c.start)])
        nxt = _CLAUSE.search(text, c.end, s_hi)
        c_hi = nxt.start() if nxt else s_hi
        left, right = text[c_lo:c.start], text[c.end:c_hi]
        sentence = c.sentence

        c.earlier = bool(v.earlier_strong.search(left)) or bool(v.earlier_clause.search(left)) or (
            bool(v.earlier_before.search(left))
            and (bool(v.revision.search(sentence)) or _followed_by_figure(claims, c, v)))
        year_before = bool(v.earlier_after.search(right))
        c.earlier = c.earlier or year_before

        c.status = _status(text, c_lo, c_hi, s_lo, s_hi)
        c.period = periods.find(text, c_lo, c_hi, c.start, on) or periods.find(text, s_lo, s_hi, c.start, on)
        if year_before and re.match(r"\s*(?:a year (?:earlier|ago)|last year)", right, re.IGNORECASE):
            # "up from $39 billion a year earlier": the figure of the year before the current one.
            current = periods.find(text, s_lo, c_lo, c.start, on) if c_lo > s_lo else None
            c.period = periods.previous(current or str(on.year), on)
            c.status = "actual"

        if c.kind == "money":
            c.value_usd = _round(usd.to_usd(c.value, c.currency, on))
            c.value_usd_max = _round(usd.to_usd(c.value_max, c.currency, on))
        elif c.kind == "gpu_count":
            c.h100e = h100e_mod.h100e(c.value, c.unit)
        if c.kind == "power" and c.metric is None:
            c.metric = "capacity"      # a power figure is a site's or cluster's capacity
        c.referent = _referent(claims, c, text, s_lo, s_hi)
    return claims


def annotate_dicts(rows: list[dict], text: str, on: date) -> list[dict]:
    """annotate() for claims handed over as dicts (storage re-dates undated articles)."""
    from nlp.types import CLAIM_FIELDS

    claims = annotate([Claim(**{k: r[k] for k in CLAIM_FIELDS if k in r}) for r in rows], text, on)
    return [{**r, **c.to_dict()} for r, c in zip(rows, claims)]


def _referent(claims: list[Claim], c: Claim, text: str, s_lo: int, s_hi: int) -> str | None:
    """The named sites/places/projects of the figure, canonical and sorted ('Abilene|Texas'):
    each name in the sentence belongs to the figure nearest to it ("a 1.2 GW campus in Abilene,
    Texas, and a 1.2 GW site in Ohio")."""
    v = vocab()
    here = [o for o in claims if s_lo <= o.start < s_hi] or [c]
    names = set()
    for m in v.referents.finditer(text, s_lo, s_hi):
        key = re.sub(r"\s+", " ", m.group().lower())
        if key not in v.referent_names:
            continue
        before = [o for o in here if o.end <= m.start()]
        after = [o for o in here if o.start >= m.end()]
        # English names what a figure is about after it ("1.2 GW campus in Abilene"), Chinese
        # before it (在阿比林建设1.2吉瓦的园区).
        first, second = (before, after) if c.lang == "en" else (after, before)
        if first:
            nearest = max(first, key=lambda o: o.end) if first is before else min(first, key=lambda o: o.start)
        elif second:
            nearest = max(second, key=lambda o: o.end) if second is before else min(second, key=lambda o: o.start)
        else:
            nearest = c
        if nearest is c:
            names.add(v.referent_names[key])
    return "|".join(sorted(names)) or None


def _sentence_start(text: str, c: Claim) -> int:
    lo = max(0, c.end - len(c.sentence))
    at = text.find(c.sentence, lo, c.start + len(c.sentence))
    return at if 0 <= at <= c.start else max(0, c.start - c.sentence.find(c.text))


def _followed_by_figure(claims: list[Claim], c: Claim, v: _Vocab) -> bool:
    """'from X to Y': another figure of the same kind follows X after a 'to'."""
    for o in claims:
        if o is not c and o.kind == c.kind and o.sentence == c.sentence and o.start > c.end \
                and o.start - c.end <= 12:
            return True
    return False


def _status(text: str, c_lo: int, c_hi: int, s_lo: int, s_hi: int) -> str | None:
    v = vocab()
    for lo, hi in ((c_lo, c_hi), (s_lo, s_hi)):
        window = v.not_estimate.sub(" ", text[lo:hi])
        for status, pattern in v.status:
            if pattern.search(window):
                return status
    return None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def article_date(published: str | None, fallback: date | None = None) -> date:
    """The date semantics are resolved against: published, else the fetch date, else today."""
    if published:
        try:
            return date.fromisoformat(published[:10])
        except ValueError:
            pass
    return fallback or date.today()
