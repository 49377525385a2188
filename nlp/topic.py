"""Is an article about AI infrastructure / compute spending? A score to store and a yes/no.

The crawler extracts claims only from relevant articles. The vocabulary, its weights and the
threshold are data (nlp/data/topic.toml); this module only adds the evidence up:

- each *concept* found (GPU, data centre, 算力, capex...; synonyms and translations are one concept)
  adds its weight once, a little more when repeated (log2 of the mentions, capped), and its weight
  again when the title names it: breadth of distinct evidence counts, not one word said fifty times;
- context concepts (AI, cloud, inference, 人工智能...) together add at most `context_cap`, and at
  most `context_share` of the strong evidence: they tip an article that has compute words, they
  never make one relevant alone; a few look-alike topics
  (phones, gaming, sport) subtract a little, at most `negative_cap`;
- evidence is divided by (words / ref_words) ** length_exponent when the text is longer than
  ref_words, so a 5,000-word feature that mentions "GPU" in passing scores low while a 60-word wire
  item about a 100,000-GPU cluster scores high;
- score = evidence / (evidence + half_evidence): 0 to 1, 0.5 at `half_evidence`; relevant when
  score >= threshold.

One trie-shaped regex scans the text once (plus a small case-sensitive one for AI, MW...); a 5 KB
article takes a few hundred microseconds.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass

from nlp import lexicon

_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class TopicScore:
    score: float                # 0..1: evidence / (evidence + half_evidence); stored in the database
    relevant: bool              # score >= the threshold of topic.toml
    terms: tuple[str, ...]      # distinct vocabulary words found, title first, in order of
    # appearance; look-alike (negative) words are prefixed with "-"


def _mentions(text: str, lex: lexicon.TopicLexicon) -> list[tuple[int, int, str]]:
    """(position, concept index, vocabulary word) for every mention, longest match winning."""
    found = []
    spans_start: list[int] = []
    spans_end: list[int] = []
    for m in lex.pattern.finditer(text):
        hit = lex.concept_of(m.group())
        if hit:
            found.append((m.start(), hit[0], hit[1]))
            spans_start.append(m.start())
            spans_end.append(m.end())
    if lex.case_pattern is not None:
        for m in lex.case_pattern.finditer(text):
            # "AI" inside "AI chip" or "AI芯片" is part of that longer mention
            i = bisect_right(spans_start, m.start()) - 1
            if i >= 0 and spans_end[i] > m.start():
                continue
            if i + 1 < len(spans_start) and spans_start[i + 1] < m.end():
                continue
            hit = lex.concept_of(m.group())
            if hit:
                found.append((m.start(), hit[0], hit[1]))
    return found


def _length_in_words(text: str, per_han: float) -> float:
    return len(_LATIN_WORD.findall(text)) + len(_HAN.findall(text)) / per_han


def score(text: str, lang: str, title: str | None = None) -> TopicScore:
    """How much `text` (with its `title`, if known) is about AI infrastructure / compute spending.

    `lang` ("en", "zh"...) is accepted for symmetry with the other nlp steps; the vocabulary is
    bilingual and applied whatever the language (Chinese news writes GPU, H100, AI; English news may
    quote 算力), and length is measured per script (Latin words, Han characters / zh_chars_per_word),
    so a misdetected language does not change the score.
    """
    lex = lexicon.topic()
    p = lex.params
    body = _mentions(text, lex)
    heading = _mentions(title, lex) if title else []

    counts: dict[int, int] = {}
    for _, concept, _ in body:
        counts[concept] = counts.get(concept, 0) + 1
    in_title = {concept for _, concept, _ in heading}

    strong = context = negative = 0.0
    for concept in counts.keys() | in_title:
        c = lex.concepts[concept]
        n = counts.get(concept, 0)
        e = c.weight * min(1 + p["repeat"] * math.log2(n), p["max_repeat"]) if n else 0.0
        if concept in in_title:
            e += c.weight * p["title_bonus"]
        if c.kind == "strong":
            strong += e
        elif c.kind == "context":
            context += e
        elif c.kind == "negative":
            negative += e
    context = min(context, p["context_cap"], p["context_share"] * strong)
    evidence = strong + context - min(negative, p["negative_cap"])
    words = _length_in_words(text, p["zh_chars_per_word"])
    if words > p["ref_words"]:
        evidence /= (words / p["ref_words"]) ** p["length_exponent"]
    evidence = max(evidence, 0.0)
    value = round(evidence / (evidence + p["half_evidence"]), 4)

    terms: dict[str, None] = {}
    for _, concept, word in heading + sorted(body):
        kind = lex.concepts[concept].kind
        if kind != "ignore":
            terms.setdefault(("-" if kind == "negative" else "") + word, None)
    return TopicScore(value, value >= p["threshold"], tuple(terms))
