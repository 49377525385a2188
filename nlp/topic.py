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

The text's Latin tokens and characters are collected once and intersected with the vocabulary's
index (lexicon.topic); only the words that can occur run their pattern. A 5 KB article takes
about 0.2 ms.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from nlp import lexicon


@dataclass(frozen=True, slots=True)
class TopicScore:
    score: float                # 0..1: evidence / (evidence + half_evidence); stored in the database
    relevant: bool              # score >= the threshold of topic.toml
    terms: tuple[str, ...]      # distinct vocabulary words found, title first, in order of
    # appearance; look-alike (negative) words are prefixed with "-"


def _mentions(text: str, lex: lexicon.TopicLexicon) -> tuple[list[tuple[int, int, str]], int]:
    """(position, concept index, vocabulary word) of every mention, and the number of Latin words.

    Where mentions overlap the leftmost, then the longest, wins ("AI chip" is one mention, not AI +
    chip; "blue-chip" is an ignored phrase, not a chip).
    """
    lower = text.lower()
    if len(lower) != len(text):         # a few letters lower-case to two characters (İ)
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    tokens = lexicon.TOPIC_TOKEN.findall(lower)
    groups: dict = {}
    for token in lex.by_token.keys() & set(tokens):
        groups.update(dict.fromkeys(lex.by_token[token]))
    for ch in lex.by_char.keys() & set(lex.han_first.findall(lower)):
        groups.update(dict.fromkeys(lex.by_char[ch]))
    spans = []
    for g in groups:
        hay = text if g.case_sensitive else lower
        for m in g.pattern.finditer(hay):
            start = m.start()
            if g.left_guard and start and hay[start - 1].isascii() and hay[start - 1].isalnum():
                continue                # "chip" in "microchip", "AI" in "SAID"
            hit = g.word_of(m.group())
            if hit:
                spans.append((start, start - m.end(), hit))
    spans.sort(key=lambda s: (s[0], s[1]))
    found = []
    reached = 0
    for start, neg_len, (concept, word) in spans:
        if start >= reached:
            found.append((start, concept, word))
            reached = start - neg_len
    return found, len(tokens)


def score(text: str, lang: str, title: str | None = None) -> TopicScore:
    """How much `text` (with its `title`, if known) is about AI infrastructure / compute spending.

    `lang` ("en", "zh"...) is accepted for symmetry with the other nlp steps; the vocabulary is
    bilingual and applied whatever the language (Chinese news writes GPU, H100, AI; English news may
    quote 算力), and length is measured per script (Latin words, plus Han characters divided by
    zh_chars_per_word), so a misdetected language does not change the score.
    """
    lex = lexicon.topic()
    p = lex.params
    # Compatibility forms read as what they stand for: full-width Latin (ＡＩ晶片, ＧＰＵ, as
    # Taiwanese and Hong Kong papers print them) and Kangxi radicals from PDFs. Only counts are
    # taken here, so no offsets need keeping.
    text = unicodedata.normalize("NFKC", text)
    title = unicodedata.normalize("NFKC", title) if title else title
    body, latin_words = _mentions(text, lex)
    heading = _mentions(title, lex)[0] if title else []

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
    # Latin words, plus characters beyond Latin-1 (Han, kana, full-width punctuation: 3 bytes in
    # UTF-8, so counted cheaply from the encoded length) per zh_chars_per_word
    wide = (len(text.encode("utf-8")) - len(text)) / 2
    words = latin_words + wide / p["zh_chars_per_word"]
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
