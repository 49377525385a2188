"""One daemon per database: a lock held for the daemon's life, released by the OS if it dies.

- SQLite: an exclusive `flock` on `<database file>.daemon.lock`, which also holds the holder's
  pid. The descriptor is not inherited by child processes (Python opens files non-inheritable),
  so a crawl child never keeps the lock alive after its daemon is gone.
- PostgreSQL: a session-level `pg_try_advisory_lock` held on a dedicated connection whose
  application_name carries the holder's pid and host, so the refusal can name them. A
  connection that drops (the server restarted) loses the lock: `verify()` notices, and takes it
  back as soon as the server answers again, unless another daemon took it meanwhile.

The lock is about the database, not the machine: two daemons on two hosts sharing one PostgreSQL
database are refused as surely as two on one host sharing a SQLite file.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import time

from storage.db import DatabaseError, describe, sqlite_path

log = logging.getLogger("computewatch.daemon")

# A fixed 64-bit key for pg_(try_)advisory_lock, derived from a name so it is documented.
_KEY = int.from_bytes(hashlib.sha1(b"computewatch daemon").digest()[:8], "big", signed=True)
_APP_PREFIX = "computewatch-daemon"


class AlreadyRunning(DatabaseError):
    """Another daemon holds the database. A DatabaseError, so the CLI prints it as one line."""


class DaemonLock:
    def __init__(self, database):
        self.database = database
        self.url = database.url
        self._file = None          # SQLite: the open lock file
        self._conn = None          # PostgreSQL: the connection holding the advisory lock

    # --- taking and giving back -----------------------------------------------------------
    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning naming the database and, if known, the holder."""
        if self.database.dialect == "sqlite":
            self._acquire_file()
        elif self.database.dialect == "postgresql":
            self._acquire_pg()
        else:                                   # storage.db refuses other databases already
            raise DatabaseError(f"{describe(self.url)}: no daemon lock for {self.database.dialect}")

    def release(self) -> None:
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_KEY})")
            except Exception:                   # the connection is gone: so is the lock
                pass
            finally:
                self._conn.close()
                self._conn = None

    def verify(self) -> bool | None:
        """Is the lock still ours? True: yes (taken again if the connection had dropped and
        nobody else has it). None: the server cannot be reached (restarting, down): ask again
        soon. False: another daemon took it meanwhile: stop."""
        if self.database.dialect != "postgresql":
            return True                         # a flock lives as long as this process
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                return True
            except Exception as e:
                log.warning("lock connection lost", extra={"fields": {
                    "db": describe(self.url), "error": str(e).splitlines()[0]}})
                try:
                    self._conn.close()
                except Exception:
                    pass
                self._conn = None
        try:
            self._acquire_pg()
        except AlreadyRunning as e:
            log.error("lock lost", extra={"fields": {"error": str(e)}})
            return False
        except DatabaseError:                   # still away: the caller waits and asks again
            return None
        log.info("lock taken again", extra={"fields": {"db": describe(self.url)}})
        return True

    # --- SQLite ----------------------------------------------------------------------------
    def _lock_path(self) -> str:
        path = sqlite_path(self.url)
        if path is None:
            raise DatabaseError(f"{describe(self.url)}: the daemon needs a database file "
                                "(its crawls run in other processes), not an in-memory database")
        return path + ".daemon.lock"

    def _acquire_file(self) -> None:
        path = self._lock_path()
        try:
            # 0600 whatever the umask (it names the holder's pid and host), as PostgreSQL's files.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            f = open(fd, "a+", encoding="utf-8")
        except OSError as e:
            raise DatabaseError(f"{path}: cannot open the daemon lock file: {e.strerror}") from None
        for attempt in range(4):
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt < 3:         # `status` probes with a shared lock for an instant
                    time.sleep(0.05)
                    continue
                f.seek(0)
                holder = f.read().strip()
                f.close()
                raise AlreadyRunning(_refusal(self.url, holder or None)) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        f.flush()
        self._file = f

    # --- PostgreSQL --------------------------------------------------------------------------
    def _acquire_pg(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            conn = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_KEY})").scalar()
        except SQLAlchemyError as e:
            raise DatabaseError(f"{describe(self.url)}: cannot take the daemon lock: "
                                f"{str(e).splitlines()[0]}") from None
        if not got:
            holder = _pg_holder(conn)
            conn.close()
            raise AlreadyRunning(_refusal(self.url, holder))
        name = f"{_APP_PREFIX} pid {os.getpid()} on {socket.gethostname()}"[:63]
        conn.exec_driver_sql("SELECT set_config('application_name', %(n)s, false)", {"n": name})
        self._conn = conn


def _pg_holder(conn) -> str | None:
    """'pid 123 on host' from the application_name of the session holding the lock."""
    hi, lo = (_KEY >> 32) & 0xFFFFFFFF, _KEY & 0xFFFFFFFF
    row = conn.exec_driver_sql(
        "SELECT a.application_name, a.client_addr FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid::bigint = %(hi)s AND l.objid::bigint = %(lo)s "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        {"hi": hi, "lo": lo}).first()
    if row is None:
        return None
    app, addr = row
    if app and app.startswith(_APP_PREFIX):
        return app[len(_APP_PREFIX):].strip()
    return f"a session from {addr}" if addr else None


def _refusal(url: str, holder: str | None) -> str:
    who = f" ({holder})" if holder else ""
    return (f"{describe(url)}: another computewatch daemon{who} is already running on this "
            "database; stop it first (a second one would crawl everything twice)")


def holder(database) -> str | None:
    """Who holds the daemon lock of `database` ('pid 123 on host'), or None when no daemon runs.
    Takes nothing: used by `status`."""
    if database.dialect == "sqlite":
        path = sqlite_path(database.url)
        if path is None or not os.path.exists(path + ".daemon.lock"):
            return None
        with open(path + ".daemon.lock", "a+", encoding="utf-8") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                return f.read().strip() or "unknown pid"
            fcntl.flock(f, fcntl.LOCK_UN)
            return None
    if database.dialect == "postgresql":
        with database.engine.connect() as conn:
            got = conn.exec_driver_sql(
                f"SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                f"AND classid::bigint = {(_KEY >> 32) & 0xFFFFFFFF} "
                f"AND objid::bigint = {_KEY & 0xFFFFFFFF} "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ).first()
            return (_pg_holder(conn) or "unknown") if got else None
    return None
