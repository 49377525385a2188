"""Analyst queries: claims with where they were reported, and per-source run status."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from nlp.types import CLAIM_FIELDS
from storage.models import Article, Claim, CrawlRun, ScheduleState, Source

# The claim schema (nlp.types.Claim), then where it was reported and which fact it reports.
CLAIM_ROW_FIELDS = list(CLAIM_FIELDS) + ["url", "title", "published", "reported_on", "extractor_version",
                                         "claim", "fact", "article"]


@dataclass
class ClaimFilter:
    subjects: list[str] | None = None    # canonical names (resolve aliases first)
    kinds: list[str] | None = None
    lang: str | None = None
    since: date | None = None
    until: date | None = None
    sources: list[str] | None = None
    min_value: float | None = None       # money: compared in US dollars (value_usd)
    limit: int | None = None
    offset: int | None = None
    fact: int | None = None
    metric: str | None = None
    period: str | None = None
    status: str | None = None
    currency: str | None = None
    article: int | None = None
    sort: str = "reported_on"            # reported_on (newest first) | value (largest first)


CLAIM_SORTS = {"reported_on": (Article.reported_on.desc(), Article.id.desc(), Claim.start),
               "value": (func.coalesce(Claim.value_usd, Claim.value).desc(), Claim.id)}


def _claims_from(q, f: ClaimFilter, join: bool = True):
    """`q` (over claims) joined to articles and sources and narrowed to what `f` asks. Counts
    pass `join=False`: they join only when the filter is on the article or source (a join per
    claim is most of a facet's cost)."""
    if join or f.since or f.until or f.sources:
        q = q.join(Article, Article.id == Claim.article_id).outerjoin(Source, Source.id == Article.source_id)
    if f.subjects:
        q = q.where(Claim.subject.in_(f.subjects))
    if f.kinds:
        q = q.where(Claim.kind.in_(f.kinds))
    if f.lang:
        q = q.where(Claim.lang == f.lang)
    if f.since:
        q = q.where(Article.reported_on >= f.since)
    if f.until:
        q = q.where(Article.reported_on <= f.until)
    if f.sources:
        q = q.where(Source.name.in_(f.sources))
    if f.min_value is not None:
        # Money is compared in dollars, so that 3000亿元 and $40 billion are on one scale.
        q = q.where(or_(and_(Claim.kind == "money", Claim.value_usd >= f.min_value),
                        and_(Claim.kind != "money", Claim.value >= f.min_value)))
    if f.fact is not None:
        q = q.where(Claim.fact_id == f.fact)
    if f.metric:
        q = q.where(Claim.metric == f.metric)
    if f.period:
        q = q.where(Claim.period == f.period)
    if f.status:
        q = q.where(Claim.status == f.status)
    if f.currency:
        q = q.where(Claim.currency == f.currency.upper())
    if f.article is not None:
        q = q.where(Claim.article_id == f.article)
    return q


# The row's fields that are the claim's own columns (`source` is the article's source's name).
_CLAIM_COLUMNS = [k for k in CLAIM_ROW_FIELDS if k in Claim.__table__.c and k != "source"]
STREAM_CHUNK = 1000              # rows fetched at a time by iter_claims


def claims(session: Session, f: ClaimFilter) -> list[dict]:
    """Claims, newest report first (or largest), each with its article's URL, title, date and source."""
    return list(iter_claims(session, f))


def iter_claims(session: Session, f: ClaimFilter, chunk: int = STREAM_CHUNK) -> Iterator[dict]:
    """The rows of claims(), fetched `chunk` at a time (a server-side cursor on PostgreSQL), so
    that exporting every claim holds one chunk in memory, not the table."""
    q = _claims_from(select(*[getattr(Claim, k) for k in _CLAIM_COLUMNS], Claim.id, Claim.fact_id,
                            Claim.article_id, Article.url, Article.title, Article.published,
                            Article.reported_on, Source.name), f)
    q = q.order_by(*CLAIM_SORTS[f.sort])
    if f.limit:
        q = q.limit(f.limit)
    if f.offset:
        q = q.offset(f.offset)
    n = len(_CLAIM_COLUMNS)
    # Core rows, not ORM objects: no identity map growing with the rows read.
    for r in session.connection().execute(q.execution_options(yield_per=chunk)):
        row = dict(zip(_CLAIM_COLUMNS, r[:n]))
        claim_id, fact_id, article_id, url, title, published, reported_on, source_name = r[n:]
        row.update(claim=claim_id, fact=fact_id, source=source_name, url=url, title=title,
                   article=article_id,
                   published=published.isoformat() if published else None,
                   reported_on=reported_on.isoformat())
        yield {k: row.get(k) for k in CLAIM_ROW_FIELDS}


def subjects(session: Session) -> set[str]:
    """Every subject some claim has (to tell a typo from "nothing claimed")."""
    return set(session.scalars(select(Claim.subject).where(Claim.subject.is_not(None)).distinct()))


def source_names(session: Session) -> set[str]:
    return set(session.scalars(select(Source.name)))


def claim_count(session: Session, f: ClaimFilter) -> int:
    return session.scalar(_claims_from(select(func.count(Claim.id)), f, join=False))


CLAIM_FACETS = {"kind": Claim.kind, "subject": Claim.subject, "metric": Claim.metric,
                "lang": Claim.lang, "source": Source.name, "status": Claim.status,
                "currency": Claim.currency}


def claim_facets(session: Session, f: ClaimFilter, top: int = 12) -> dict[str, list[tuple]]:
    """facet -> [(value, claims)], the most frequent first, within the current filter."""
    out = {}
    for name, col in CLAIM_FACETS.items():
        q = _claims_from(select(col, func.count(Claim.id)), f, join=name == "source").where(col.is_not(None))
        out[name] = [tuple(r) for r in session.execute(
            q.group_by(col).order_by(func.count(Claim.id).desc(), col).limit(top))]
    return out


def totals_by_source(session: Session) -> dict[str, dict]:
    """source name -> {articles, claims} stored from it (relevant articles only)."""
    arts = dict(session.execute(
        select(Source.name, func.count(Article.id)).join(Article, Article.source_id == Source.id)
        .where(Article.relevant.is_(True)).group_by(Source.name)).all())
    cls = dict(session.execute(
        select(Source.name, func.count(Claim.id)).join(Article, Article.source_id == Source.id)
        .join(Claim, Claim.article_id == Article.id).group_by(Source.name)).all())
    return {name: {"articles": arts.get(name, 0), "claims": cls.get(name, 0)}
            for name in set(arts) | set(cls)}


def run_stats(session: Session) -> dict[str, dict]:
    """source -> runs (completed), failures, consecutive failures, last run."""
    from storage.runs import COMPLETED_STATUSES as completed, FAILED_STATUSES as failed
    from storage.runs import consecutive_failures

    out: dict[str, dict] = {}
    for source, status, n in session.execute(
            select(CrawlRun.source, CrawlRun.status, func.count()).group_by(CrawlRun.source, CrawlRun.status)):
        s = out.setdefault(source, {"runs": 0, "failures": 0})
        if status in completed:
            s["runs"] += n
        if status in failed:
            s["failures"] += n
    for source in out:
        recent = list(session.scalars(select(CrawlRun).where(CrawlRun.source == source)
                                      .order_by(CrawlRun.id.desc()).limit(50)))
        done = [r for r in recent if r.status in completed]
        last = done[0] if done else None
        out[source].update(
            consecutive_failures=consecutive_failures(r.status for r in recent),
            running=any(r.status == "running" for r in recent),
            last_status=last.status if last else None,
            last_run_start=last.started_at if last else None,
            last_run_end=last.ended_at if last else None,
            last_pages=last.pages if last else None,
            last_new_articles=last.new_articles if last else None,
            last_new_claims=last.new_claims if last else None,
            last_errors=last.errors if last else None,
            last_message=last.message if last else None)
    return out


# --- for the daemon and `status` (schedules/) ---------------------------------------------------

def scheduled_runs(session: Session) -> dict[str, "datetime | None"]:
    """source -> next run time (aware UTC; None while it runs) from the daemon's schedule_state
    (plain rows: nothing is unpickled)."""
    from datetime import timezone

    return {name: (ts.replace(tzinfo=timezone.utc) if ts is not None else None)
            for name, ts in session.execute(select(ScheduleState.source, ScheduleState.next_run_time))}