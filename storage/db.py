"""Opening a database: engine, per-dialect settings, and migrations brought up to date on open."""
from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# Tables in the database that our migrations do not own: APScheduler's pickled job store, which
# daemons before migration 0005 created (0005 drops it; the daemon never reads it).
SCHEDULER_JOBS = "scheduler_jobs"
NOT_OURS = frozenset({SCHEDULER_JOBS})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the tables of NOT_OURS alone (autogenerate, comparisons)."""
    return not (type_ == "table" and name in NOT_OURS)


class DatabaseError(RuntimeError):
    """The database cannot be used (bad URL, unreachable, locked): one line for the user."""


# How long SQLite waits for another process's lock before "database is locked" (seconds).
# COMPUTEWATCH_DB_BUSY_TIMEOUT shortens it (tests of a lock held at start).
def busy_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("COMPUTEWATCH_DB_BUSY_TIMEOUT") or 60))
    except ValueError:
        return 60.0


# Causes a user can act on, by what the driver says (SQLite's and PostgreSQL's messages).
_CAUSES = (
    (("database or disk is full", "no space left", "file too large", "could not extend file",
      "disk full"), "the disk is full"),
    (("readonly database", "read-only file system", "read-only database",
      "read-only transaction"), "the database is read-only"),
    (("database is locked", "database table is locked"),
     "another process holds the database lock (waited {busy:g} s)"),
    (("disk i/o error",), "a disk I/O error (the disk may be full or failing)"),
    (("unable to open database file",), "the database file cannot be opened"),
    (("connection refused", "server closed the connection", "terminating connection",
      "connection is closed", "could not connect", "connection failed", "the database system is",
      "consuming input failed", "connection timeout expired", "ssl syscall"),
     "the database server is unreachable"),
)


def explain(url: str, exc: BaseException) -> str:
    """One line naming the database (password hidden) and the cause of a database error."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    detail = lines[0].strip() if lines else type(orig).__name__
    why = cause(exc)
    return f"{describe(url)}: {why} ({detail})" if why else f"{describe(url)}: {detail}"


def cause(exc: BaseException) -> str | None:
    """The cause a user can act on (disk full, read-only, locked, server away), or None."""
    orig = getattr(exc, "orig", None) or exc
    low = str(orig).lower()
    for needles, text_ in _CAUSES:
        if any(n in low for n in needles):
            return text_.format(busy=busy_timeout())
    return None


# The first fault of the environment (disk full, read-only, locked, server away) this process
# met, even if the code that met it carried on (the page pipeline counts a failed write and
# goes on crawling): the CLI fails the command with it. (url, exception) or None.
first_fault: tuple[str, BaseException] | None = None


def _note_fault(context) -> None:
    global first_fault
    if getattr(context, "is_pre_ping", False) or first_fault is not None:
        return                  # a pre-ping failure is the pool reconnecting, not a fault
    exc = context.original_exception
    if cause(exc) is not None:
        url = context.engine.url.render_as_string(hide_password=False) if context.engine else ""
        first_fault = (url, exc)


def is_database_fault(exc: BaseException) -> bool:
    """An error of the database or its driver (not of our code's logic)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, (OperationalError, DBAPIError, sqlite3.Error)):
        return True
    try:
        import psycopg
    except ImportError:               # psycopg is a dependency; this is for a broken install
        return False
    return isinstance(exc, psycopg.Error)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # SQLAlchemy, not the sqlite3 module, decides where transactions begin (see _sqlite_begin):
    # that is what makes SAVEPOINTs work with pysqlite.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets the crawler, the extraction worker and analysts' queries run side by side.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
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


_SECRET_KEY = re.compile(r"pass", re.IGNORECASE)   # password=, sslpassword=, passfile= ...


def describe(url: str) -> str:
    """The URL with any password hidden (user:***@ and ?password=***), for messages and logs."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):     # unparseable (a bad port): hide what looks secret
        url = re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url)
        return re.sub(r"([?&][^=&]*pass[^=&]*=)[^&]*", r"\1***", url, flags=re.IGNORECASE)
    hidden = {k: "***" for k in parsed.query if _SECRET_KEY.search(k)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def _scrub(text: str, url: str) -> str:
    """A driver's message with the URL's secrets taken out, should it quote them."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return text
    secrets = [parsed.password] + [v for k, v in parsed.query.items() if _SECRET_KEY.search(k)]
    for secret in secrets:
        for value in ([secret] if isinstance(secret, str) else secret or ()):
            if value and len(value) > 1:
                text = text.replace(value, "***")
    return text


def _private_dirs(directory: Path) -> None:
    """Create the missing directories 0700, as PostgreSQL does its data directory."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass
        os.chmod(d, 0o700)      # mkdir's mode is cut by the umask


def _private_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use 0644): its -wal and -shm
    files take the database file's mode, so they are 0600 too."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        return                  # an existing database keeps the mode its owner gave it
    os.chmod(path, 0o600)


def _parse(url: str):
    """The URL parsed, or DatabaseError naming what is wrong with it (password hidden)."""
    try:
        parsed = make_url(url)
        parsed.port         # noqa: B018  SQLAlchemy reads the port lazily: a bad one fails here
    except (ArgumentError, ValueError) as e:
        why = f"bad port ({e})" if isinstance(e, ValueError) else "try sqlite:///path or postgresql://..."
        raise DatabaseError(f"{describe(url)}: not a database URL: {why}") from None
    return parsed


def create(url: str) -> Engine:
    url = normalise_url(url)
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not path.startswith("file:"):
            try:
                file = Path(path).expanduser()
                _private_dirs(file.parent)
                _private_file(file)
            except OSError as e:
                raise DatabaseError(f"{describe(url)}: cannot create the database file or its "
                                    f"directory: {e.strerror}") from None
        engine = create_engine(url, connect_args={"timeout": busy_timeout()})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    else:
        raise DatabaseError(f"{describe(url)}: unsupported database (SQLite or PostgreSQL)")
    event.listen(engine, "handle_error", _note_fault)
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


MIGRATION_LOCK_KEY = 0x63770001     # PostgreSQL advisory lock held while migrating ("cw", 1)


def upgrade(engine: Engine) -> list[str]:
    """Apply the migrations that are missing; returns the revisions applied."""
    if _up_to_date(engine):
        return []
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    # One migrator at a time: two processes opening a fresh database together (two crawlers
    # sharing a frontier) would both start migrating, and the second fail on the first's lock.
    # The migrations run in a transaction that takes the write lock first (SQLite: BEGIN
    # IMMEDIATE waits out the other's; PostgreSQL: an advisory lock), then looks again.
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return []
        pending = [r.revision for r in script.iterate_revisions(head, current)][::-1]
        cfg.attributes["connection"] = conn
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

    def refresh_planner_stats(self) -> None:
        """Let SQLite's query planner know the tables' sizes (ANALYZE, sampled: ~40 ms at 100,000
        claims). Without statistics it reads every claim to list the newest 50 (a sort over a
        join) where an index on articles.reported_on answers in a millisecond. Writers call it
        once they stored a lot (a crawl's end, a drained queue); PostgreSQL's autovacuum does
        this there. Best effort: a database that cannot take it now is left as it is."""
        if self.dialect != "sqlite":
            return
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
        except SQLAlchemyError as e:
            log.debug("ANALYZE skipped: %s", e)


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
        raise DatabaseError(_cannot_open(url, e)) from None
    except SQLAlchemyError as e:
        engine.dispose()
        raise DatabaseError(f"{describe(url)}: {_scrub(str(e).splitlines()[0], url)}") from None
    return Database(normalise_url(url), engine)


def _cannot_open(url: str, e: BaseException) -> str:
    head = describe(url) + ": "
    return head + "cannot open the database: " + explain(url, e)[len(head):]


def sqlite_path(url: str) -> str | None:
    """The file behind a SQLite URL (None for other databases or in-memory)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return os.path.abspath(os.path.expanduser(parsed.database))


def _readonly_sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")         # a second lock: no statement may write
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_readonly(url: str) -> Database:
    """An existing database opened for reading only (`serve`, queries of a copy one may not
    write): never created, never migrated; an older schema is refused with what to run."""
    url = normalise_url(url)
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).expanduser().is_file():
            raise DatabaseError(f"{describe(url)}: no such database file")
        file = Path(path).expanduser().resolve()
        # mode=ro: SQLite opens the file read-only, so a copy on read-only media can be queried.
        engine = create_engine(f"sqlite:///file:{file}?mode=ro&uri=true")
        event.listen(engine, "connect", _readonly_sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, connect_args={
            "connect_timeout": 10, "options": "-c default_transaction_read_only=on"})
    else:
        raise DatabaseError(f"{describe(url)}: unsupported database (SQLite or PostgreSQL)")
    try:
        with engine.connect() as conn:       # read as plain rows: no Alembic import to start up
            current = ({r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
                       if inspect(conn).has_table("alembic_version") else None)
    except SQLAlchemyError as e:
        engine.dispose()
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise DatabaseError(f"{describe(url)}: cannot open the database: {_scrub(reason, url)}") from None
    head = _heads_on_disk()
    if not current or current != head:
        engine.dispose()
        what = "not a computewatch database" if not current else "an older schema"
        raise DatabaseError(f"{describe(url)}: {what} (run `computewatch db upgrade --db URL` first)")
    return Database(url, engine)


def open_for_query(url: str) -> Database:
    """The database a query (`claims`, `facts`, the Python API) reads: it must exist (a typo'd
    path is refused, not created empty) and is opened read-only, so a copy on read-only media or
    another user's file can be queried; an older schema is migrated first where it is writable."""
    try:
        return open_readonly(url)
    except DatabaseError as e:
        if "an older schema" not in str(e):
            raise
    return open_database(url)
