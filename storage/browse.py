"""What the web app's overview pages read: database counts, sources' crawl health, one article."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Claim, Fact, Page, Source

SOURCE_FIELDS = ["source", "runs", "failures", "consecutive_failures", "failing", "running", "last_status",
                 "last_run_start", "last_run_end", "last_pages", "last_new_articles", "last_new_claims",
                 "last_errors", "last_message", "articles", "claims"]


def counts(session: Session) -> dict[str, int]:
    return {
        "pages": session.scalar(select(func.count(Page.id))),
        "articles": session.scalar(select(func.count(Article.id)).where(Article.relevant.is_(True))),
        "claims": session.scalar(select(func.count(Claim.id))),
        "facts": session.scalar(select(func.count(Fact.id))),
        "sources": session.scalar(select(func.count(Source.id))),
    }


def source_health(session: Session) -> list[dict]:
    """One row per source that has runs or articles: as `computewatch status`, from the database."""
    from storage import queries

    stats, totals = queries.run_stats(session), queries.totals_by_source(session)
    names = sorted(set(stats) | set(totals) | set(session.scalars(select(Source.name))))
    rows = []
    for name in names:
        st = stats.get(name, {})
        row = {"source": name, "runs": st.get("runs", 0), "failures": st.get("failures", 0),
               "consecutive_failures": st.get("consecutive_failures", 0),
               "failing": st.get("consecutive_failures", 0) > 0, "running": bool(st.get("running"))}
        for k in SOURCE_FIELDS:
            if k.startswith("last_"):
                v = st.get(k)
                row[k] = v.isoformat() if hasattr(v, "isoformat") else v
        row.update(totals.get(name, {"articles": 0, "claims": 0}))
        rows.append(row)
    return rows


def article(session: Session, article_id: int) -> dict | None:
    a = session.get(Article, article_id)
    if a is None:
        return None
    source = session.get(Source, a.source_id) if a.source_id else None
    return {"article": a.id, "url": a.url, "title": a.title, "author": a.author,
            "published": a.published.isoformat() if a.published else None,
            "reported_on": a.reported_on.isoformat(), "lang": a.lang, "text": a.text,
            "topic_score": a.topic_score, "relevant": a.relevant, "source": source.name if source else None}
