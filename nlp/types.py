"""Typed hand-offs between the pipeline stages (see DESIGN.md: data flows one way).

`nlp` knows nothing about HTTP or SQL: everything here is plain data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# Kinds of the lower layer (`computewatch mentions`) and of claims.
MENTION_KINDS = ("number", "percent", "money", "gpu_count", "power")
CLAIM_KINDS = ("gpu_count", "money", "power")


@dataclass(slots=True)
class Mention:
    """One numeric mention found in text, unfiltered.

    `start`/`end` are offsets into the text that was scanned (end exclusive).
    """

    kind: str                       # number | percent | money | gpu_count | power
    text: str
    start: int
    end: int
    value: float
    value_max: float | None = None  # high end of a range
    unit: str | None = None         # gpu_count: hardware; power: "W"; percent: "%"
    currency: str | None = None     # money: ISO 4217
    approx: str | None = None       # about | over | under | up_to
    flags: frozenset[str] = field(default_factory=frozenset)  # e.g. {"year", "per_share", "bare"}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = sorted(self.flags)
        return d


@dataclass(slots=True)
class Article:
    """What the extraction stage makes of a page."""

    text: str                       # article text; the title is its first line
    title: str | None = None
    published: str | None = None    # ISO date (YYYY-MM-DD) when known
    author: str | None = None
    lang: str = "en"                # en | zh
    url: str | None = None          # where it was read (path or URL)
    canonical_url: str | None = None
    content_hash: str = ""          # sha1 of the normalised text: the same article under two URLs
    encoding: str | None = None     # how the bytes were decoded


@dataclass(slots=True)
class Claim:
    """One numeric claim: the contract of `computewatch extract --format jsonl` (DESIGN.md).

    The one definition of the claim schema: storage columns, query rows, CSV headers and the
    CLI derive their field lists from it (CLAIM_FIELDS, STORED_CLAIM_FIELDS).
    """

    kind: str
    value: float
    value_max: float | None
    unit: str | None
    currency: str | None
    approx: str | None
    subject: str | None
    metric: str | None
    # What the figure means (nlp.semantics): filled after extraction, once the date is known.
    status: str | None = field(default=None, kw_only=True)       # actual | planned | estimate
    period: str | None = field(default=None, kw_only=True)       # 2025, FY2025, 2025Q2, by 2027-12
    value_usd: float | None = field(default=None, kw_only=True)
    value_usd_max: float | None = field(default=None, kw_only=True)
    h100e: float | None = field(default=None, kw_only=True)
    text: str
    sentence: str
    start: int
    end: int
    lang: str
    source: str | None = None
    # For grouping into facts: the text gives this figure as an earlier one ("raised from X"),
    # and the named site/project it is about (nlp/data/referents.toml), if any.
    earlier: bool = field(default=False, kw_only=True)
    referent: str | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict:
        return asdict(self)


CLAIM_FIELDS = tuple(f.name for f in fields(Claim))
# What storage keeps of a claim: all but where it was read (the article says that).
STORED_CLAIM_FIELDS = tuple(f for f in CLAIM_FIELDS if f != "source")
