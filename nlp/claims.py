"""Mentions -> claims: keep the kinds the product tracks, then give each its sentence, subject
and metric.

Only sentences that hold a candidate claim go through the spaCy pipeline; the rest of the
article is searched for organisations with the cheap alias scan (`entities.scan_aliases`). That
keeps the statistical model off most of the text (the speed budget is 2x trafilatura alone).
"""
from __future__ import annotations

import re

from nlp import currency_context, entities, lexicon, sentences, subjects
from nlp.mentions import find_mentions
from nlp.textnorm import detect_lang
from nlp.types import CLAIM_KINDS, Claim, Mention


def extract_claims(text: str, lang: str | None = None, source: str | None = None,
                   title_end: int = 0) -> list[Claim]:
    """The numeric claims in an article's text (title as its first line, if any)."""
    if not text or not text.strip():
        return []
    lang = lang or detect_lang(text)
    mentions = find_mentions(text, lang)
    if lang == "zh":
        currency_context.resolve(mentions, text, source)
    candidates = [m for m in mentions if is_claim(m)]
    if not candidates:
        return []
    spans = sentences.split(text)
    article_orgs = entities.scan_aliases(text)
    main_org = None
    locale = currency_context.locale(text, source) if lang == "zh" else None
    where = [sentences.index_of(spans, m.start) for m in candidates]
    needed = sorted(set(where))
    found = entities.find_many([text[spans[k][0]:spans[k][1]] for k in needed], lang)
    sentence_orgs = {k: [entities.OrgMention(o.start + spans[k][0], o.end + spans[k][0], o.name, o.role, o.known)
                         for o in orgs] for k, orgs in zip(needed, found)}
    claims = []
    for m, k in zip(candidates, where):
        s_start, s_end = spans[k]
        sentence = text[s_start:s_end]
        metric = _metric(text, s_start, s_end, m)
        orgs = sentence_orgs[k]
        figures = [(c.start, c.kind) for c, kc in zip(candidates, where) if kc == k]
        subject = _subject(text, m, metric, (s_start, s_end), orgs, article_orgs, title_end,
                           figures, claims, spans[k - 1] if k else None, locale)
        if subject is _MAIN:
            main_org = main_org or subjects.main_organisation(article_orgs, title_end) or ""
            subject = main_org or None
        claims.append(Claim(
            kind=m.kind, value=m.value, value_max=m.value_max, unit=m.unit, currency=m.currency,
            approx=m.approx, subject=subject, metric=metric, text=m.text, sentence=sentence,
            start=m.start, end=m.end, lang=lang, source=source))
    return claims


_MAIN = object()     # "the article's main organisation", computed once when first needed


def _subject(text: str, m: Mention, metric: str | None, span: tuple[int, int], orgs, article_orgs,
             title_end: int, figures: list[tuple[int, str]], earlier: list[Claim],
             prev: tuple[int, int] | None = None, locale: str | None = None):
    """Who the mention is about (nlp.subjects), None for an industry-wide figure."""
    s_start, s_end = span
    if subjects.industry_wide(text, s_start, s_end, m.start, orgs):
        return subjects.joint_venture(text, s_start, s_end, orgs, article_orgs, None)
    named = any(o.role != "media" for o in orgs)
    own = subjects.own_figure(text, *subjects.clause_of(text, s_start, s_end, m.start))
    who = subjects.OWN if own else metric
    money = m.kind == "money"
    # "the company", 管理层, or a company's own figure (revenue, profit, inventory) in a sentence
    # naming no one: the organisation the article is about
    anaphor = subjects.anaphor_before(text, s_start, s_end, m.start, orgs)
    about = anaphor or (not named and (own or metric in subjects.OWN_FIGURES))
    # "the $50 billion figure": a figure named again in a sentence naming no one keeps its subject
    again = None if named else next(
        (c.subject for c in reversed(earlier) if c.subject and c.kind == m.kind
         and c.value == m.value and c.value_max == m.value_max and c.currency == m.currency), None)
    subject = subjects.respectively(text, s_start, s_end, m.start, orgs, figures) \
        or subjects.premodified(text, m.end, m.kind, orgs) \
        or again \
        or subjects.government(text, s_start, m.start, orgs, locale) \
        or (subjects.topic_before(text, article_orgs, prev, title_end) if about and not anaphor
            else None) \
        or (subjects.salient(article_orgs, s_start, title_end) if about else None) \
        or subjects.in_sentence(orgs, m.start, who, text, buyers_only=True, money=money) \
        or subjects.from_context(article_orgs, s_start, who, buyers_only=True) \
        or subjects.in_sentence(orgs, m.start, who, text, money=money) \
        or subjects.from_context(article_orgs, s_start, who)
    if subject is None:
        return _MAIN
    subject = subjects.parent_named(text, orgs, subject) or subject
    return subjects.joint_venture(text, s_start, s_end, orgs, article_orgs, subject) or subject


def is_claim(m: Mention) -> bool:
    """Keep gpu_count, money and power mentions that really are figures of those kinds."""
    if m.kind not in CLAIM_KINDS or "per_unit" in m.flags or "vague" in m.flags:
        return False                     # prices and specs; 数十亿, "tens of billions": no figure
    if m.kind == "money" and not m.currency:
        return False
    if m.kind == "power":
        return m.value >= lexicon.exclusions()["power"]["min_watts"]
    return True


_CLAUSE = re.compile(r"[，,；;：:。！？!?]")


def _metric(text: str, s_start: int, s_end: int, m: Mention) -> str | None:
    """The metric keyword of the mention's clause (before it first), else of its sentence."""
    labels = lexicon.metrics()
    c_start = max([s_start] + [x.end() for x in _CLAUSE.finditer(text, s_start, m.start)])
    nxt = _CLAUSE.search(text, m.end, s_end)
    c_end = nxt.start() if nxt else s_end
    for lo, hi in ((c_start, c_end), (s_start, s_end)):
        before = after = None
        for kw in lexicon.metric_pattern().finditer(text, lo, hi):
            if kw.end() <= m.start:
                before = kw
            elif kw.start() >= m.end and after is None:
                after = kw
        best = before or after
        if best:
            return labels.get(best.group().lower())
    return None
