"""Opening a database: engine, per-dialect settings, and migrations brought up to date on open."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# Tables in the database that our migrations do not own: APScheduler creates its job store.
SCHEDULER_JOBS = "scheduler_jobs"      # the daemon's APScheduler job store
NOT_OURS = frozenset({SCHEDULER_JOBS})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the tables of NOT_OURS alone (autogenerate, comparisons)."""
    return not (type_ == "table" and name in NOT_OURS)


class DatabaseError(RuntimeError):
    """The database cannot be used (bad URL, unreachable, locked): one line for the user."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # SQLAlchemy, not the sqlite3 module, decides where transactions begin (see _sqlite_begin):
    # that is what makes SAVEPOINTs work with pysqlite.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets the crawler, the extraction worker and analysts' queries run side by side.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _sqlite_begin(conn) -> None:
    # Transactions that read before they write begin IMMEDIATE (Database.session(write=True)):
    # they take the write lock at once, waiting (busy_timeout) for another process's writes; a
    # deferred one could fail with "database is locked" when it tries to write after a
    # concurrent commit. Others stay deferred so that readers never wait for writers.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def normalise_url(url: str) -> str:
    """SQLAlchemy URL with our drivers: postgres:// and postgresql:// go through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def describe(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"{url}: not a database URL (try sqlite:///path or postgresql://...)") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DatabaseError(f"{describe(url)}: cannot create its directory: {e.strerror}") from None
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    else:
        raise DatabaseError(f"{describe(url)}: unsupported database (SQLite or PostgreSQL)")
    return engine


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _heads_on_disk() -> set[str]:
    """The head revisions of storage/migrations, read from the files without importing Alembic."""
    import re

    revisions, parents = set(), set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        src = f.read_text("utf-8")
        rev = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", src, re.M)
        down = re.search(r"^down_revision\s*=\s*(.+)$", src, re.M)
        if rev:
            revisions.add(rev[1])
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down[1]))
    return revisions - parents


def _up_to_date(engine: Engine) -> bool:
    """The database is at the head already: every command (a `facts` query too) is spared
    importing Alembic, a good part of its start-up time."""
    try:
        with engine.connect() as conn:
            current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return False
    heads = _heads_on_disk()
    return bool(heads) and current == heads


def upgrade(engine: Engine) -> list[str]:
    """Apply the migrations that are missing; returns the revisions applied."""
    if _up_to_date(engine):
        return []
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return []
    script = ScriptDirectory.from_config(cfg)
    pending = [r.revision for r in script.iterate_revisions(head, current)][::-1]
    command.upgrade(cfg, "head")
    return pending


class Database:
    """An open, up-to-date database: `with db.session() as s:` for a unit of work."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"),
                                            expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, write: bool = False):
        """A transaction: committed when the block ends, rolled back if it raises.

        `write=True` for a transaction that reads, then writes what it read (see _sqlite_begin).
        """
        with (self._write_sessions if write else self._sessions)() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, migrate: bool = True) -> Database:
    """Connect and bring the schema up to date. Raises DatabaseError with a one-line reason."""
    engine = create(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if migrate:
            applied = upgrade(engine)
            if applied:
                log.info("database %s upgraded: %s", describe(url), ", ".join(applied))
    except OperationalError as e:
        engine.dispose()
        reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e).splitlines()[0]
        raise DatabaseError(f"{describe(url)}: cannot open the database: {reason}") from None
    except SQLAlchemyError as e:
        engine.dispose()
        raise DatabaseError(f"{describe(url)}: {str(e).splitlines()[0]}") from None
    return Database(normalise_url(url), engine)


def sqlite_path(url: str) -> str | None:
    """The file behind a SQLite URL (None for other databases or in-memory)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return os.path.abspath(os.path.expanduser(parsed.database))
