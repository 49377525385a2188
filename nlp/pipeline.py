"""The whole language pipeline for one page: bytes -> Article -> claims."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlp import article as article_mod
from nlp import semantics
from nlp.claims import extract_claims
from nlp.types import Article, Claim


@dataclass(slots=True)
class Extraction:
    article: Article
    claims: list[Claim]


def extract_page(body: bytes, source: str, content_type: str | None = None,
                 url: str | None = None, lang: str | None = None) -> Extraction:
    """Read a page (HTML or plain text) and pull its claims. Raises article.NotAnArticle.

    `lang` overrides language detection.
    """
    art = read_page(body, source, content_type, url=url, lang=lang)
    return Extraction(art, claims_of(art, source))


def read_page(body: bytes, source: str, content_type: str | None = None,
              url: str | None = None, lang: str | None = None) -> Article:
    """The article in a page, without its claims (the crawler asks the topic filter in between)."""
    art = article_mod.from_bytes(body, url=url or source, content_type=content_type, name=source)
    art.lang = lang or art.lang
    return art


def claims_of(art: Article, source: str | None = None, fetched: date | None = None) -> list[Claim]:
    """The article's claims with what they mean, resolved against its published date, else
    `fetched` (else today: a page read now was fetched now)."""
    title_end = len(art.title) if art.title and art.text.startswith(art.title) else 0
    claims = extract_claims(art.text, art.lang, source=source, title_end=title_end)
    return semantics.annotate(claims, art.text, semantics.article_date(art.published, fetched))


def extract_text(text: str, source: str | None = None, lang: str | None = None) -> Extraction:
    art = article_mod.from_text(text, source)
    if lang:
        art.lang = lang
    title_end = len(art.title) if art.title else 0
    claims = extract_claims(art.text, art.lang, source=source, title_end=title_end)
    return Extraction(art, semantics.annotate(claims, art.text, semantics.article_date(art.published)))
