"""Analyst queries over facts: each fact with its reports, sources, languages and links
(the `computewatch facts` contract, DESIGN.md "Facts")."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, Claim, Fact, FactConflict, Source

FACT_FIELDS = ["fact", "subject", "kind", "metric", "period", "status", "unit", "currency", "value",
               "value_max", "value_usd", "value_usd_max", "h100e", "first_seen", "last_seen",
               "articles", "sources", "langs", "claims", "supersedes", "superseded_by",
               "conflicts_with", "referent", "current"]
FACT_CLAIM_FIELDS = ["claim", "url", "title", "reported_on", "lang", "text", "sentence", "start", "end",
                     "value", "value_max", "currency", "source", "earlier"]
SORTS = {"first_seen": (Fact.first_seen, Fact.id), "value_usd": (Fact.value_usd.desc(), Fact.id),
         "articles": (Fact.articles.desc(), Fact.id), "newest": (Fact.last_seen.desc(), Fact.id.desc())}


@dataclass
class FactFilter:
    subjects: list[str] | None = None     # canonical names (resolve aliases first)
    kinds: list[str] | None = None
    metric: str | None = None
    period: str | None = None
    status: str | None = None
    lang: str | None = None               # reported in this language (at least one claim)
    since: date | None = None             # reported on or after (its latest report)
    until: date | None = None             # reported on or before (its first report)
    min_articles: int | None = None
    sort: str = "first_seen"
    limit: int | None = None
    offset: int | None = None
    ids: list[int] | None = None
    sources: list[str] | None = None      # reported by one of these sources (at least one claim)


def _where(q, f: FactFilter):
    if f.subjects:
        q = q.where(Fact.subject.in_(f.subjects))
    if f.kinds:
        q = q.where(Fact.kind.in_(f.kinds))
    if f.metric:
        q = q.where(Fact.metric == f.metric)
    if f.period:
        q = q.where(Fact.period == f.period)
    if f.status:
        q = q.where(Fact.status == f.status)
    if f.since:
        q = q.where(Fact.last_seen >= f.since)
    if f.until:
        q = q.where(Fact.first_seen <= f.until)
    if f.min_articles:
        q = q.where(Fact.articles >= f.min_articles)
    if f.lang:
        q = q.where(exists().where(Claim.fact_id == Fact.id, Claim.lang == f.lang))
    if f.ids:
        q = q.where(Fact.id.in_(f.ids))
    if f.sources:
        q = q.where(exists().where(Claim.fact_id == Fact.id, Article.id == Claim.article_id,
                                   Source.id == Article.source_id, Source.name.in_(f.sources)))
    return q


_FACT_COLUMNS = ["id", "subject", "kind", "metric", "period", "status", "unit", "currency", "value",
                 "value_max", "value_usd", "value_usd_max", "h100e", "first_seen", "last_seen",
                 "articles", "superseded_by", "referent"]


STREAM_CHUNK = 1000              # facts read at a time: their reports are fetched by these ids


def facts(session: Session, f: FactFilter) -> list[dict]:
    """Facts matching `f`, each with every field of the contract, its claims included."""
    return list(iter_facts(session, f))


def iter_facts(session: Session, f: FactFilter, chunk: int = STREAM_CHUNK) -> Iterator[dict]:
    """The rows of facts(), `chunk` facts at a time (a server-side cursor on PostgreSQL), so
    that exporting every fact holds one chunk and its reports in memory, not the table.

    Plain rows, not ORM objects, and three queries a chunk: listing 100,000 claims' facts
    stays well under a second.
    """
    q = _where(select(*[getattr(Fact, c) for c in _FACT_COLUMNS]), f).order_by(*SORTS[f.sort])
    if f.limit:
        q = q.limit(f.limit)
    if f.offset:
        q = q.offset(f.offset)
    conn = session.connection()          # Core rows: no ORM bookkeeping per row
    for chosen in conn.execute(q.execution_options(yield_per=chunk)).partitions():
        yield from _with_links(conn, chosen)


def _with_links(conn, chosen) -> Iterator[dict]:
    """Fact rows completed with their reports, supersedes and conflicts (a few queries by id)."""
    ids = [row[0] for row in chosen]
    reports: dict[int, list[dict]] = defaultdict(list)
    cq = (select(Claim.fact_id, Claim.id, Article.url, Article.title, Article.reported_on, Claim.lang,
                 Claim.text, Claim.sentence, Claim.start, Claim.end, Claim.value, Claim.value_max,
                 Claim.currency, Source.name, Claim.earlier)
          .join(Article, Article.id == Claim.article_id)
          .outerjoin(Source, Source.id == Article.source_id)
          .where(Claim.fact_id.in_(ids))
          .order_by(Claim.fact_id, Article.reported_on, Claim.id))
    names = FACT_CLAIM_FIELDS
    for row in conn.execute(cq):
        d = dict(zip(names, row[1:]))
        d["reported_on"] = d["reported_on"].isoformat()
        reports[row[0]].append(d)
    supersedes: dict[int, list[int]] = defaultdict(list)
    for fid, newer in conn.execute(select(Fact.id, Fact.superseded_by)
                                   .where(Fact.superseded_by.in_(ids)).order_by(Fact.id)):
        supersedes[newer].append(fid)
    conflicts: dict[int, list[int]] = defaultdict(list)
    for a, b in conn.execute(select(FactConflict.fact_id, FactConflict.other_id).where(
            or_(FactConflict.fact_id.in_(ids), FactConflict.other_id.in_(ids)))):
        conflicts[a].append(b)
        conflicts[b].append(a)
    for row in chosen:
        r = dict(zip(_FACT_COLUMNS, row))
        fid = r.pop("id")
        claims = reports.get(fid, [])
        yield {
            "fact": fid, "subject": r["subject"], "kind": r["kind"], "metric": r["metric"],
            "period": r["period"], "status": r["status"], "unit": r["unit"], "currency": r["currency"],
            "value": r["value"], "value_max": r["value_max"], "value_usd": r["value_usd"],
            "value_usd_max": r["value_usd_max"], "h100e": r["h100e"],
            "first_seen": r["first_seen"].isoformat(), "last_seen": r["last_seen"].isoformat(),
            "articles": r["articles"],
            "sources": sorted({c["source"] for c in claims if c["source"]}),
            "langs": sorted({c["lang"] for c in claims}),
            "claims": claims,
            "supersedes": supersedes.get(fid, []),
            "superseded_by": r["superseded_by"],
            "conflicts_with": sorted(conflicts.get(fid, [])),
            "referent": r["referent"],
            # A replaced figure, or one only ever given as an earlier one, is not current.
            "current": r["superseded_by"] is None and not all(c["earlier"] for c in claims),
        }


def flat(row: dict) -> dict:
    """A fact for CSV: lists joined, the reports as their claim ids and URLs."""
    out = dict(row)
    for k in ("sources", "langs", "supersedes", "conflicts_with"):
        out[k] = " ".join(str(x) for x in row[k])
    out["claims"] = " ".join(f"{c['claim']}:{c['url']}" for c in row["claims"])
    return out


def fact_count(session: Session, f: FactFilter) -> int:
    return session.scalar(_where(select(func.count(Fact.id)), f))


FACT_FACETS = {"subject": Fact.subject, "kind": Fact.kind, "metric": Fact.metric,
               "period": Fact.period, "status": Fact.status}


def fact_facets(session: Session, f: FactFilter, top: int = 12) -> dict[str, list[tuple]]:
    """facet -> [(value, facts)], the most frequent first, within the current filter; languages
    and sources count the facts they reported."""
    out = {}
    for name, col in FACT_FACETS.items():
        q = _where(select(col, func.count(Fact.id)), f).where(col.is_not(None))
        out[name] = [tuple(r) for r in session.execute(
            q.group_by(col).order_by(func.count(Fact.id).desc(), col).limit(top))]
    n = func.count(func.distinct(Claim.fact_id))
    if _where(select(Fact.id), f).whereclause is None:       # every fact: any claim with one
        of_chosen = Claim.fact_id.is_not(None)
    else:
        of_chosen = Claim.fact_id.in_(_where(select(Fact.id), f))
    out["lang"] = [tuple(r) for r in session.execute(
        select(Claim.lang, n).where(of_chosen).group_by(Claim.lang).order_by(n.desc()))]
    out["source"] = [tuple(r) for r in session.execute(
        select(Source.name, n).join(Article, Article.source_id == Source.id)
        .join(Claim, Claim.article_id == Article.id).where(of_chosen)
        .group_by(Source.name).order_by(n.desc()).limit(top))]
    return out


def chain(session: Session, fact_id: int) -> list[int]:
    """The fact's supersedes chain, oldest figure first: the ones it replaced, it, its successors."""
    before, seen = [], {fact_id}
    current = fact_id
    while True:
        prev = session.scalar(select(Fact.id).where(Fact.superseded_by == current).order_by(Fact.id).limit(1))
        if prev is None or prev in seen:
            break
        before.append(prev)
        seen.add(prev)
        current = prev
    after, current = [], fact_id
    while True:
        nxt = session.scalar(select(Fact.superseded_by).where(Fact.id == current))
        if nxt is None or nxt in seen:
            break
        after.append(nxt)
        seen.add(nxt)
        current = nxt
    return before[::-1] + [fact_id] + after
