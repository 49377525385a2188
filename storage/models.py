"""The database schema as SQLAlchemy 2.0 typed models (DESIGN.md: Storage).

The same models serve SQLite and PostgreSQL; Alembic migrations under storage/migrations create
them. Unique keys make every write idempotent: running the same crawl twice changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        LargeBinary, String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Constraint names fixed by convention, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    pass


Base.metadata.naming_convention = NAMING


class Source(Base):
    """A news source as last configured (the sources file is the truth; this row keeps history)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lang: Mapped[str] = mapped_column(String(8))
    config: Mapped[dict] = mapped_column(JSON, default=dict)     # the source's settings, as loaded
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Page(Base):
    """One fetched URL: the raw response, kept compressed so everything can be recomputed offline."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)   # canonicalised request URL
    final_url: Mapped[str] = mapped_column(String(2048))          # after redirects
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)              # zlib-compressed bytes
    body_size: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    # What processing made of it, and with which extractor version (null: not processed yet).
    # A page that version has not processed is pending: the queue (storage.queue).
    outcome: Mapped[str | None] = mapped_column(String(20))           # storage.pages.Outcome
    outcome_detail: Mapped[str | None] = mapped_column(Text)
    processed_version: Mapped[str | None] = mapped_column(String(40), index=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    # The worker processing it, until when, and how many workers died reading it (storage.queue).
    lease_owner: Mapped[str | None] = mapped_column(String(64), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Article(Base):
    """An article's text and metadata; one row per distinct text, however many URLs carry it."""

    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(40), unique=True)
    # The page it was first read from (no foreign key: pages and articles point at each other).
    first_page_id: Mapped[int] = mapped_column(Integer, unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date] = mapped_column(Date, index=True)   # published, else the fetch date
    lang: Mapped[str] = mapped_column(String(8), index=True)
    encoding: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)                       # claims' offsets point into it
    topic_score: Mapped[float] = mapped_column(Float)
    relevant: Mapped[bool] = mapped_column(Boolean, index=True)
    extractor_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    claims: Mapped[list[Claim]] = relationship(back_populates="article", cascade="all, delete-orphan",
                                               passive_deletes=True)


class Claim(Base):
    """One numeric claim (the DESIGN.md schema), with room for what analysts will ask next."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("article_id", "kind", "start", "end",
                                       name="uq_claims_article_span"),
                      Index("ix_claims_subject_kind", "subject", "kind"),
                      # the facts' language facet: facts reported per language, from the index alone
                      Index("ix_claims_lang_fact", "lang", "fact_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    value: Mapped[float] = mapped_column(Float)
    value_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(3))
    approx: Mapped[str | None] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(100))
    metric: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(8))
    extractor_version: Mapped[str] = mapped_column(String(40))
    # What the figure means (nlp.semantics, DESIGN.md "What a figure means").
    status: Mapped[str | None] = mapped_column(String(20))        # actual | planned | estimate
    period: Mapped[str | None] = mapped_column(String(40))        # 2025, FY2025, 2025Q2, by 2027-12
    value_usd: Mapped[float | None] = mapped_column(Float)
    value_usd_max: Mapped[float | None] = mapped_column(Float)
    h100e: Mapped[float | None] = mapped_column(Float)
    earlier: Mapped[bool] = mapped_column(Boolean, default=False)  # given as an earlier figure
    referent: Mapped[str | None] = mapped_column(String(200))     # named sites: "Abilene|Texas"
    # The fact it reports (storage.facts keeps this up to date as claims are stored).
    fact_id: Mapped[int | None] = mapped_column(ForeignKey("facts.id", ondelete="SET NULL"), index=True)
    article: Mapped[Article] = relationship(back_populates="claims")


class Fact(Base):
    """One figure about one thing, however many articles report it (DESIGN.md "Facts").

    Kept up to date by storage.facts.consolidate as each article's claims are stored; a fact
    keeps its id as reports join it. The figure and labels are the consensus of its claims;
    articles, first_seen and last_seen are kept here so that listing facts reads no claims.
    """

    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_key", "subject", "kind", "family", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str | None] = mapped_column(String(40))
    family: Mapped[str | None] = mapped_column(String(40))       # metrics that may name one figure
    period: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(3))
    referent: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    value_max: Mapped[float | None] = mapped_column(Float)
    value_usd: Mapped[float | None] = mapped_column(Float, index=True)
    value_usd_max: Mapped[float | None] = mapped_column(Float)
    h100e: Mapped[float | None] = mapped_column(Float)
    first_seen: Mapped[date] = mapped_column(Date, index=True)
    last_seen: Mapped[date] = mapped_column(Date, index=True)
    articles: Mapped[int] = mapped_column(Integer, default=0, index=True)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("facts.id", ondelete="SET NULL"), index=True)


class FactConflict(Base):
    """Two facts giving different figures for the same thing at the same time (lower id first)."""

    __tablename__ = "fact_conflicts"
    fact_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)


class Entity(Base):
    """A canonical organisation (claims' `subject`), mirrored from nlp/data/organizations.toml."""

    __tablename__ = "entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="org")
    role: Mapped[str | None] = mapped_column(String(20))          # buyer | vendor | media
    aliases: Mapped[list[EntityAlias]] = relationship(cascade="all, delete-orphan")


class EntityAlias(Base):
    __tablename__ = "entity_aliases"
    __table_args__ = (UniqueConstraint("entity_id", "alias", name="uq_entity_aliases_entity_alias"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(200), index=True)
    lang: Mapped[str] = mapped_column(String(8))                  # en | zh


class CrawlRun(Base):
    """One crawl of one source: when, how it ended, what it found."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))   # running, or storage.runs.COMPLETED_STATUSES
    pages: Mapped[int] = mapped_column(Integer, default=0)          # pages fetched and stored
    new_articles: Mapped[int] = mapped_column(Integer, default=0)
    new_claims: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)        # robots, non-HTML, off-topic links
    error_summary: Mapped[dict] = mapped_column(JSON, default=dict)  # kind -> count, a few examples
    message: Mapped[str | None] = mapped_column(Text)               # why a run failed
    pid: Mapped[int | None] = mapped_column(Integer)


class FetchState(Base):
    """Validators of feeds and sitemaps, for conditional GET (ETag / Last-Modified)."""

    __tablename__ = "fetch_state"
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(400))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime] = mapped_column(DateTime)


class ScheduleState(Base):
    """The daemon's schedule as plain data, one row per scheduled source (schedules.daemon).

    Nothing here is code: the daemon rebuilds its in-memory jobs from the sources file and these
    rows at start (a pickled job store would run whatever a writer of one row put in it)."""

    __tablename__ = "schedule_state"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(200))    # 'interval 3600' | 'cron 0 */6 * * *'
    next_run_time: Mapped[datetime | None] = mapped_column(DateTime)   # naive UTC; null: running
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ImportFile(Base):
    """An archive file read by `computewatch import`: how far it got, so a killed import resumes.

    `offset` is where the next unread record starts; it is committed with the pages read
    before it, so a restart neither skips nor repeats a record.
    """

    __tablename__ = "import_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(2048), unique=True)   # absolute path
    size: Mapped[int] = mapped_column(BigInteger)                  # bytes when last read
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)       # records read so far
    kept: Mapped[int] = mapped_column(Integer, default=0)          # pages stored
    errors: Mapped[int] = mapped_column(Integer, default=0)        # records that could not be read
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
