"""The whole language pipeline for one page: bytes -> Article -> topic score -> claims.

`process_page` is the one function every path calls (`extract`, the crawl's worker, `reprocess`,
`computewatch worker`), so they all agree on what a page holds: the topic filter is applied here,
once, and an off-topic page has no claims wherever it is read. `mentions` stays the unfiltered
lower layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlp import article as article_mod
from nlp import topic
from nlp import semantics
from nlp.claims import extract_claims
from nlp.types import Article, Claim


@dataclass(slots=True)
class Extraction:
    article: Article
    topic: topic.TopicScore
    claims: list[Claim]              # empty when the article is off-topic


def process_page(body: bytes, url: str, content_type: str | None = None,
                 lang: str | None = None, name: str | None = None) -> Extraction:
    """Read a page (HTML or plain text): its article, topic score and, if on topic, its claims.

    Raises article.NotAnArticle. `lang` overrides language detection; `name` is what the page is
    called in messages and in the claims' `source` (default: `url`).
    """
    name = name or url
    art = article_mod.from_bytes(body, url=url, content_type=content_type, name=name)
    art.lang = lang or art.lang
    return _filtered(art, name)


def process_text(text: str, name: str | None = None, lang: str | None = None) -> Extraction:
    """The same for a plain text whose first line is the title."""
    art = article_mod.from_text(text, name)
    if lang:
        art.lang = lang
    return _filtered(art, name)


def _filtered(art: Article, name: str | None) -> Extraction:
    score = topic.score(art.text, art.lang, art.title)
    claims = _claims_of(art, name) if score.relevant else []
    return Extraction(art, score, claims)


def _claims_of(art: Article, source: str | None, fetched: date | None = None) -> list[Claim]:
    """The article's claims with what they mean, resolved against its published date, else
    `fetched` (else today: a page read now was fetched now)."""
    title_end = len(art.title) if art.title and art.text.startswith(art.title) else 0
    claims = extract_claims(art.text, art.lang, source=source, title_end=title_end)
    return semantics.annotate(claims, art.text, semantics.article_date(art.published, fetched))


def extract_page(body: bytes, source: str, content_type: str | None = None,
                 url: str | None = None, lang: str | None = None) -> Extraction:
    """Older name of process_page (benchmarks call it): `source` names the page."""
    return process_page(body, url or source, content_type, lang=lang, name=source)
