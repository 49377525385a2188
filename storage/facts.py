"""Facts: the same figure across articles, languages and currencies (DESIGN.md "Facts").

`consolidate(session, article_id)` runs right after an article's claims are stored (or stored
again by reprocess): each claim joins the fact it reports, or starts one. Only facts with the
claim's (subject, kind, metric family, period) key are read, through one index, so the cost per
article does not grow with the table. A fact keeps its id as reports join it; when a claim
bridges two facts the older id survives.

A claim joins a fact when they agree on subject and kind, their metric families and periods
are equal or one is unknown, they name no different site (referent), neither is a third party's
estimate of the other, and the values agree: within rounding in one currency, within a stated
conversion's rounding across currencies (compared in US dollars).
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from nlp import semantics
from storage.models import Article, Claim, Fact, FactConflict

SAME_CURRENCY = 0.011        # $64 billion vs $64.5bn is another figure; 1.5万 vs 15,000 the same
ACROSS_CURRENCIES = 0.06     # "3800亿元（约合530亿美元）": stated conversions are rounded
STATED_CONVERSION = 0.12     # a conversion in parentheses right after its figure, at any rate
CONFLICT_WINDOW = timedelta(days=31)
GENERIC_UNITS = {None, "GPU", "accelerator"}


# --------------------------------------------------------------------------- matching

def _close(a: float | None, b: float | None, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-9)


def same_value(c, f, tol_stated: float | None = None) -> bool:
    """The claim's figure equals the fact's (or another claim's) up to rounding or conversion."""
    if c.kind == "money" and c.currency != f.currency:
        tol = tol_stated or ACROSS_CURRENCIES
        if c.value_usd is None or f.value_usd is None:
            return False
        return _close(c.value_usd, f.value_usd, tol) and _close(c.value_usd_max, f.value_usd_max, tol)
    return _close(c.value, f.value, SAME_CURRENCY) and _close(c.value_max, f.value_max, SAME_CURRENCY)


def same_referent(c, f) -> bool:
    """Same thing, as far as the text says: labels equal or one unknown, no different site."""
    if c.kind != f.kind or c.subject != f.subject:
        return False
    cf = semantics.family(c.metric)
    if cf and f.family and cf != f.family:
        return False
    if c.period and f.period and c.period != f.period:
        return False
    if (c.status == "estimate") != (f.status == "estimate") and c.status and f.status:
        return False
    if c.referent and f.referent and not set(c.referent.split("|")) & set(f.referent.split("|")):
        return False
    if c.kind == "gpu_count" and c.unit not in GENERIC_UNITS and f.unit not in GENERIC_UNITS \
            and c.unit != f.unit:
        return False
    return True


def _candidates(session: Session, c) -> list[Fact]:
    """Facts with the claim's key: same subject and kind; family and period equal or unknown."""
    q = select(Fact).where(Fact.kind == c.kind,
                           Fact.subject == c.subject if c.subject is not None else Fact.subject.is_(None))
    fam = semantics.family(c.metric)
    if fam:
        q = q.where(or_(Fact.family == fam, Fact.family.is_(None)))
    if c.period:
        q = q.where(or_(Fact.period == c.period, Fact.period.is_(None)))
    return list(session.scalars(q.order_by(Fact.id)))


# --------------------------------------------------------------------------- consolidation

def consolidate(session: Session, article_id: int, previous: set[int] | frozenset = frozenset()) -> list[int]:
    """Bring the facts up to date with the claims `article_id` now has.

    `previous`: ids of the facts the article's claims were in before they were replaced; those
    left without a report are removed. Returns the ids of the facts the article's claims report.
    """
    article = session.get(Article, article_id)
    claims = list(session.scalars(select(Claim).where(Claim.article_id == article_id)
                                  .order_by(Claim.start))) if article is not None else []
    touched: set[int] = set(previous)
    by_claim: dict[int, Fact] = {}
    for c in claims:
        fact = _stated_conversion(claims, c, by_claim) or _join(session, c, article)
        c.fact_id = fact.id
        by_claim[c.id] = fact
        touched.add(fact.id)
    session.flush()
    for fid in list(touched):
        _refresh(session, fid)
    if article is not None:
        _link(session, article, claims, by_claim)
    return sorted({f.id for f in by_claim.values()})


def _stated_conversion(claims, c, by_claim) -> Fact | None:
    """"3800亿元人民币（约合530亿美元）": a figure in another currency right after one, in the
    same sentence, is its conversion and belongs to its fact."""
    for o in claims:
        if o.id in by_claim and o.kind == c.kind == "money" and o.currency != c.currency \
                and o.sentence == c.sentence and 0 <= c.start - o.end <= 16 \
                and same_value(c, o, STATED_CONVERSION):
            return by_claim[o.id]
    return None


def _join(session: Session, c, article: Article) -> Fact:
    matches = [f for f in _candidates(session, c) if same_referent(c, f) and same_value(c, f)]
    if not matches:
        fact = Fact(subject=c.subject, kind=c.kind, metric=c.metric, family=semantics.family(c.metric),
                    period=c.period, status=c.status, unit=c.unit, currency=c.currency,
                    referent=c.referent, value=c.value, value_max=c.value_max, value_usd=c.value_usd,
                    value_usd_max=c.value_usd_max, h100e=c.h100e, first_seen=article.reported_on,
                    last_seen=article.reported_on, articles=0)
        session.add(fact)
        session.flush()
        return fact
    keep, *others = matches           # ordered by id: the earliest fact survives
    for other in others:
        _merge(session, keep, other)
    return keep


def _merge(session: Session, keep: Fact, other: Fact) -> None:
    session.execute(update(Claim).where(Claim.fact_id == other.id).values(fact_id=keep.id))
    session.execute(update(Fact).where(Fact.superseded_by == other.id).values(superseded_by=keep.id))
    if other.superseded_by and keep.superseded_by is None and other.superseded_by != keep.id:
        keep.superseded_by = other.superseded_by
    for a, b in session.execute(select(FactConflict.fact_id, FactConflict.other_id).where(
            or_(FactConflict.fact_id == other.id, FactConflict.other_id == other.id))).all():
        x = keep.id if a == other.id else a
        y = keep.id if b == other.id else b
        if x != y:
            _add_conflict(session, x, y)
    session.execute(delete(FactConflict).where(or_(FactConflict.fact_id == other.id,
                                                   FactConflict.other_id == other.id)))
    session.delete(other)
    session.flush()


def _refresh(session: Session, fact_id: int) -> None:
    """The fact's figure and labels from its claims (the reports' consensus), or its removal
    when no claim reports it any more."""
    fact = session.get(Fact, fact_id)
    if fact is None:
        return
    rows = session.execute(
        select(Claim, Article.reported_on).join(Article, Article.id == Claim.article_id)
        .where(Claim.fact_id == fact_id).order_by(Article.reported_on, Claim.id)).all()
    if not rows:
        session.execute(update(Fact).where(Fact.superseded_by == fact_id).values(superseded_by=None))
        session.execute(delete(FactConflict).where(or_(FactConflict.fact_id == fact_id,
                                                       FactConflict.other_id == fact_id)))
        session.delete(fact)
        session.flush()
        return
    current = [c for c, _ in rows if not c.earlier] or [c for c, _ in rows]
    figures = Counter((c.currency, c.value, c.value_max) for c in current)
    top = max(figures.values())
    lead = next(c for c in current if figures[(c.currency, c.value, c.value_max)] == top)
    fact.value, fact.value_max, fact.currency = lead.value, lead.value_max, lead.currency
    in_usd = [c for c in current if c.currency == "USD"]
    usd = max(in_usd, key=lambda c: figures[(c.currency, c.value, c.value_max)]) if in_usd else lead
    fact.value_usd, fact.value_usd_max = (usd.value, usd.value_max) if in_usd else (lead.value_usd, lead.value_usd_max)
    specific = [c for c in current if c.h100e is not None]
    unit_lead = specific[0] if specific else lead
    fact.unit, fact.h100e = unit_lead.unit, unit_lead.h100e
    for attr in ("metric", "period", "status", "referent"):
        votes = Counter(getattr(c, attr) for c in current if getattr(c, attr))
        setattr(fact, attr, votes.most_common(1)[0][0] if votes else None)
    fact.family = semantics.family(fact.metric)
    fact.first_seen = rows[0][1]
    fact.last_seen = rows[-1][1]
    fact.articles = len({c.article_id for c, _ in rows})


# --------------------------------------------------------------------------- links

def _link(session: Session, article: Article, claims: list, by_claim: dict[int, Fact]) -> None:
    """supersedes / superseded_by and conflicts_with, from what this article says."""
    for c in claims:
        fact = by_claim[c.id]
        if c.earlier:
            newer = _replacement(claims, c, by_claim)
            if newer is not None:
                _supersede(session, fact, newer)
            continue
        revised = semantics.is_revision(c.sentence)
        explicit = any(o.earlier and o.sentence == c.sentence and o.kind == c.kind for o in claims)
        fam = semantics.family(c.metric)
        if not fam:
            continue
        for other in _same_key(session, c, fam):
            if other.id == fact.id or same_value(c, other) or not same_referent(c, other):
                continue
            if revised:
                # Only the latest standing figure gives way ("raised its forecast to ...").
                if not explicit and other.superseded_by is None \
                        and other.first_seen <= article.reported_on and not _in_chain(session, fact, other):
                    _supersede(session, other, fact)
                    break
            elif not revised and c.period and other.period == c.period \
                    and abs(other.last_seen - article.reported_on) <= CONFLICT_WINDOW \
                    and not _in_chain(session, fact, other) and _other_source(session, other, article):
                _add_conflict(session, fact.id, other.id)


def _replacement(claims, c, by_claim) -> Fact | None:
    """The current figure an earlier one gave way to: the nearest current figure of the same
    kind in its sentence ("raised to $66-72 billion from $64-72 billion"), else in the article."""
    same = [o for o in claims if not o.earlier and o.kind == c.kind and same_referent(c, by_claim[o.id])
            and by_claim[o.id].id != by_claim[c.id].id]
    in_sentence = [o for o in same if o.sentence == c.sentence]
    pool = in_sentence or same
    if not pool:
        return None
    return by_claim[min(pool, key=lambda o: abs(o.start - c.start)).id]


def _same_key(session: Session, c, fam: str) -> list[Fact]:
    q = select(Fact).where(Fact.kind == c.kind, Fact.family == fam,
                           Fact.subject == c.subject if c.subject is not None else Fact.subject.is_(None))
    if c.period:
        q = q.where(Fact.period == c.period)
    return list(session.scalars(q.order_by(Fact.last_seen.desc(), Fact.id.desc()).limit(50)))


def _in_chain(session: Session, a: Fact, b: Fact) -> bool:
    """a and b are one supersedes chain (either way round)."""
    return _reaches(session, a, b) or _reaches(session, b, a)


def _reaches(session: Session, start: Fact, target: Fact) -> bool:
    seen, cur = set(), start
    while cur is not None and cur.superseded_by and cur.id not in seen:
        if cur.superseded_by == target.id:
            return True
        seen.add(cur.id)
        cur = session.get(Fact, cur.superseded_by)
    return False


def _supersede(session: Session, old: Fact, new: Fact) -> None:
    if old.id == new.id or _reaches(session, new, old):
        return                       # never a cycle
    old.superseded_by = new.id
    session.execute(delete(FactConflict).where(or_(
        and_(FactConflict.fact_id == min(old.id, new.id), FactConflict.other_id == max(old.id, new.id)))))


def _other_source(session: Session, fact: Fact, article: Article) -> bool:
    """Some report of the fact comes from another source (or, sourceless, another article)."""
    q = select(func.count()).select_from(Claim).join(Article, Article.id == Claim.article_id).where(
        Claim.fact_id == fact.id, Article.id != article.id)
    if article.source_id is not None:
        q = q.where(or_(Article.source_id != article.source_id, Article.source_id.is_(None)))
    return bool(session.scalar(q))


def _add_conflict(session: Session, a: int, b: int) -> None:
    a, b = min(a, b), max(a, b)
    if session.get(FactConflict, (a, b)) is None:
        session.add(FactConflict(fact_id=a, other_id=b))
        session.flush()


def prune(session: Session, fact_ids) -> None:
    """Facts left without reports (their article was deleted or became a duplicate) go."""
    for fid in set(fact_ids):
        _refresh(session, fid)


def facts_of_article(session: Session, article_id: int) -> set[int]:
    return {f for f in session.scalars(select(Claim.fact_id).where(
        Claim.article_id == article_id, Claim.fact_id.is_not(None)).distinct())}
