"""Logging: one structured line per event, key=value (default) or JSON, to stderr and a file."""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
from datetime import datetime, timezone


def _value(v) -> str:
    s = str(v)
    return json.dumps(s, ensure_ascii=False) if (not s or any(c in s for c in ' ="')) else s


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        when = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [when, record.levelname, record.name, record.getMessage()]
        parts += [f"{k}={_value(v)}" for k, v in fields.items()]
        line = " ".join(parts)
        if record.exc_info:
            line += " error=" + _value(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
               "level": record.levelname, "logger": record.name, "event": record.getMessage()}
        out.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            out["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(out, ensure_ascii=False, default=str)


_NOISY = ("scrapy", "twisted", "filelock", "py.warnings", "asyncio", "apscheduler", "urllib3",
          "charset_normalizer", "trafilatura", "htmldate", "courlan", "jieba", "alembic")


class _QuietLibraries(logging.Filter):
    """Libraries speak at WARNING and above only (Scrapy resets its own loggers' levels)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(_NOISY)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files (and rotated ones) created 0600, a new directory 0700, whatever the umask:
    logs name databases, sources and errors; as PostgreSQL does with its own."""

    def __init__(self, filename, *args, **kwargs):
        parent = os.path.dirname(os.path.abspath(os.path.expanduser(filename)))
        if not os.path.isdir(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)
            os.chmod(parent, 0o700)         # makedirs' mode is filtered by the umask
        super().__init__(os.path.expanduser(filename), *args, **kwargs)

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def setup(level: int = logging.WARNING, log_format: str = "text", log_file: str = "") -> None:
    formatter = JsonFormatter() if log_format == "json" else KeyValueFormatter()
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    stderr = logging.StreamHandler()
    stderr.setFormatter(formatter)
    stderr.addFilter(_QuietLibraries())
    root.addHandler(stderr)
    if log_file:
        # Rotates at 10 MB, five files kept: a daemon running for months must not fill the disk.
        rotating = PrivateRotatingFileHandler(log_file, maxBytes=10 * 1024 * 1024,
                                              backupCount=5, encoding="utf-8")
        rotating.setFormatter(formatter)
        rotating.addFilter(_QuietLibraries())
        root.addHandler(rotating)
    root.setLevel(level)
