"""The source registry: which sites to crawl, how to find their articles, and how often.

Sources are data. The shipped list is `crawler/data/sources.toml` (its header documents the
format); a user file (the `sources` setting) adds sources to it, replaces a shipped source of
the same name, or with `include_defaults = false` replaces the whole shipped list.

Loading is strict: every mistake in a file raises SourcesError with a single-line message
naming the file, the source and the offending key and value, so that a daemon refuses to start
on a typo instead of silently crawling less than it was asked to.
"""
from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler import regexcheck

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parent / "data" / "sources.toml"
DEFAULT_INTERVAL = 6 * 3600.0  # seconds; used when a source gives neither interval nor cron

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_INTERVAL_RE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_LANGS = ("en", "zh")
_URL_KEYS = ("feeds", "sitemaps", "start_urls")
_REGEX_KEYS = ("allow", "deny")
_SOURCE_KEYS = ("name", "lang", *_URL_KEYS, *_REGEX_KEYS,
                "interval", "cron", "enabled", "max_pages")
_TOP_KEYS = ("source", "include_defaults")
_MAX_VALUE_CHARS = 80  # values quoted in messages are cut to this, so a message stays readable
MAX_NAME_CHARS = 100   # the sources.name and crawl_runs.source columns
MAX_INTERVAL = 365 * 86400.0  # longer is a typo; the scheduler's timers overflow far beyond it
_MAX_FILE_BYTES = 10 * 1024 * 1024  # a sources file is a few kB; more is not one


@dataclass(frozen=True, slots=True)
class Source:
    """One site to crawl. Build it through load()/load_file(), which validate every field."""

    name: str
    lang: str
    feeds: tuple[str, ...] = ()       # RSS/Atom URLs
    sitemaps: tuple[str, ...] = ()    # sitemaps or sitemap indexes
    start_urls: tuple[str, ...] = ()  # listing pages whose links are followed when they match allow
    allow: tuple[str, ...] = ()       # regexes (re.search on the absolute URL) of article links
    deny: tuple[str, ...] = ()        # regexes of links never to follow, whatever allow says
    interval: float | None = None     # seconds between runs; None when cron is set
    cron: str | None = None           # 5-field crontab, as APScheduler 3 reads it
    enabled: bool = True
    max_pages: int | None = None      # cap on article pages fetched per run

    @property
    def domains(self) -> tuple[str, ...]:
        """Hostnames (lower case, no port) of all its URLs, in order, each once."""
        hosts: dict[str, None] = {}
        for url in (*self.feeds, *self.sitemaps, *self.start_urls):
            host = urlsplit(url).hostname
            if host:
                hosts[host] = None
        return tuple(hosts)

    def schedule_text(self) -> str:
        """'every 6h' or 'cron 0 */6 * * *'."""
        if self.cron is not None:
            return f"cron {self.cron}"
        return f"every {format_interval(self.interval or DEFAULT_INTERVAL)}"


def as_dict(source: Source) -> dict:
    """The source's settings as JSON-ready data (lists, not tuples)."""
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(source).items()}


class SourcesError(ValueError):
    """A sources file or a source selection is wrong. The message is one line."""


def parse_interval(text: str) -> float:
    """'30s', '15m', '6h', '1d' or '1.5h' -> seconds (> 0). ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{_show(text)} is not a valid interval: expected a string like '6h', "
                         f"not {_type_name(text)}")
    m = _INTERVAL_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{_show(text)} is not a valid interval: expected a positive number and "
                         "a unit s, m, h or d ('30s', '15m', '6h', '1d')")
    seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{_show(text)} is not a valid interval: must be greater than zero")
    if seconds > MAX_INTERVAL:
        raise ValueError(f"{_show(text)} is not a valid interval: at most 365d")
    return seconds


def format_interval(seconds: float) -> str:
    """The inverse of parse_interval, in the largest unit that divides it: 21600 -> '6h'."""
    for unit in ("d", "h", "m"):
        count = seconds / _UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds:g}s"


def load_file(path: str | Path) -> tuple[list[Source], bool]:
    """The sources of one file, in file order, and its include_defaults flag (default True)."""
    path = Path(path).expanduser()
    data = _read_toml(path)
    for key in data:
        if key not in _TOP_KEYS:
            raise SourcesError(f"{path}: unknown top-level key {key!r}{_did_you_mean(key, _TOP_KEYS)}")
    include_defaults = data.get("include_defaults", True)
    if not isinstance(include_defaults, bool):
        raise SourcesError(f"{path}: include_defaults must be true or false, "
                           f"not {_type_name(include_defaults)} {_show(include_defaults)}")
    tables = data.get("source", [])
    if not isinstance(tables, list):
        # `[source]` instead of `[[source]]` gives one table rather than an array of them.
        raise SourcesError(f"{path}: 'source' must be an array of tables, written [[source]], "
                           f"not {_type_name(tables)}")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables, 1):
        source = _parse_source(path, index, table)
        if source.name in seen:
            raise SourcesError(f"{path}: source {source.name!r} (#{index}): duplicate name, "
                               f"already used by source #{seen[source.name]}")
        seen[source.name] = index
        sources.append(source)
    return sources, include_defaults


def load(user_file: str | Path | None = None) -> list[Source]:
    """The shipped sources, then the user file's: a user source replaces the shipped one of the
    same name in place, a new one is appended; `include_defaults = false` drops the shipped list.
    """
    sources, _ = load_file(DEFAULT_SOURCES_FILE)
    if user_file is None or str(user_file) == "":  # the `sources` setting is "" when unset
        return sources
    user_path = Path(user_file).expanduser()
    user_sources, include_defaults = load_file(user_path)
    if not include_defaults:
        if not user_sources:
            raise SourcesError(f"{user_path}: include_defaults = false and no [[source]] "
                               "entries: that leaves nothing to crawl")
        return user_sources
    by_name = {s.name: i for i, s in enumerate(sources)}
    for source in user_sources:
        if source.name in by_name:
            sources[by_name[source.name]] = source
        else:
            by_name[source.name] = len(sources)
            sources.append(source)
    return sources


def select(sources: Sequence[Source], names: Iterable[str]) -> list[Source]:
    """The sources named, in the order named, each once; all of them when names is empty.
    Disabled sources are returned when named: naming one is asking for it explicitly."""
    names = list(names)
    if not names:
        return list(sources)
    by_name = {s.name: s for s in sources}
    picked: dict[str, Source] = {}
    for name in names:
        if name not in by_name:
            known = sorted(by_name)
            shown = ", ".join(known[:20]) + (f" ... and {len(known) - 20} more" if len(known) > 20 else "")
            raise SourcesError(f"unknown source {_show(name)}{_did_you_mean(name, known)}; "
                               f"known: {shown or '(none)'}")
        picked[name] = by_name[name]
    return list(picked.values())


# --- validation helpers ---------------------------------------------------------------------

def _read_toml(path: Path) -> dict[str, Any]:
    raw = _read_regular_file(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SourcesError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib says "... (at line N, column M)"; quote that line too, it is what to fix.
        message = str(e)
        m = re.search(r"at line (\d+)", message)
        lines = text.splitlines()
        if m and 0 < int(m.group(1)) <= len(lines):
            message += f": {_show(lines[int(m.group(1)) - 1])}"
        raise SourcesError(f"{path}: invalid TOML: {message}") from None


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes; a FIFO, a device or a huge file is refused rather than waited on."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer (SIGHUP, startup).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise SourcesError(f"{path}: cannot read sources file: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise SourcesError(f"{path}: cannot read sources file: Is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise SourcesError(f"{path}: cannot read sources file: not a regular file "
                               "(a FIFO, socket or device)")
        if st.st_size > _MAX_FILE_BYTES:
            raise SourcesError(f"{path}: cannot read sources file: too large "
                               f"({st.st_size / 1e6:.1f} MB)")
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise SourcesError(f"{path}: cannot read sources file: too large")
        return raw
    except OSError as e:
        raise SourcesError(f"{path}: cannot read sources file: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _parse_source(path: Path, index: int, table: Any) -> Source:
    where = f"source #{index}"
    if not isinstance(table, dict):
        raise SourcesError(f"{path}: {where}: expected a table ([[source]]), not {_type_name(table)}")

    def fail(key: str, problem: str) -> SourcesError:
        return SourcesError(f"{path}: {where}: {key}: {problem}")

    # The name first, so that every later message can say which source it is about.
    if "name" not in table:
        raise fail("name", "missing (every source needs a unique name)")
    name = table["name"]
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise fail("name", f"{_show(name)} is not a slug: lower-case ASCII letters, digits, "
                           "'-' and '_', starting with a letter or digit")
    if len(name) > MAX_NAME_CHARS:
        raise fail("name", f"{_show(name)} is {len(name)} characters long; at most {MAX_NAME_CHARS}")
    where = f"source {name!r} (#{index})"

    for key in table:
        if key not in _SOURCE_KEYS:
            raise fail(key, f"unknown key{_did_you_mean(key, _SOURCE_KEYS)}")

    lang = table.get("lang")
    if lang is None:
        raise fail("lang", "missing (en or zh)")
    if lang not in _LANGS:
        raise fail("lang", f"{_show(lang)} is not one of: {', '.join(_LANGS)}")

    urls = {key: _url_list(table.get(key, []), lambda problem, k=key: fail(k, problem))
            for key in _URL_KEYS}
    if not any(urls.values()):
        raise fail("feeds", "the source has no feeds, sitemaps nor start_urls: nothing to crawl")
    regexes = {key: _regex_list(table.get(key, []), lambda problem, k=key: fail(k, problem))
               for key in _REGEX_KEYS}

    interval: float | None = None
    cron: str | None = None
    if "interval" in table and "cron" in table:
        raise fail("interval", "give interval or cron, not both")
    if "interval" in table:
        try:
            interval = parse_interval(table["interval"])
        except ValueError as e:
            raise fail("interval", str(e)) from None
    elif "cron" in table:
        cron = _check_cron(table["cron"], lambda problem: fail("cron", problem))
    else:
        interval = DEFAULT_INTERVAL

    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"must be true or false, not {_type_name(enabled)} {_show(enabled)}")

    max_pages = table.get("max_pages")
    # bool is a subclass of int in Python: `max_pages = true` must not pass as 1.
    if max_pages is not None and (type(max_pages) is not int or max_pages <= 0):
        got = _show(max_pages) if type(max_pages) is int else f"{_type_name(max_pages)} {_show(max_pages)}"
        raise fail("max_pages", f"must be a positive integer, not {got}")

    return Source(name=name, lang=lang, **urls, **regexes, interval=interval, cron=cron,
                  enabled=enabled, max_pages=max_pages)


def _url_list(value: Any, fail) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(f"expected a list of http(s) URLs, not {_type_name(value)} {_show(value)}")
    for i, url in enumerate(value):
        if not isinstance(url, str):
            raise fail(f"entry {i + 1} is {_type_name(url)} {_show(url)}, not a URL string")
        try:
            parts = urlsplit(url)
            parts.port  # raises ValueError on a malformed port
        except ValueError:
            parts = None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
                or any(c.isspace() for c in url)):
            raise fail(f"entry {i + 1} {_show(url)} is not an absolute http(s) URL")
    return tuple(value)


def _regex_list(value: Any, fail) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(f"expected a list of regular expressions, not {_type_name(value)} {_show(value)}")
    for i, pattern in enumerate(value):
        if not isinstance(pattern, str):
            raise fail(f"entry {i + 1} is {_type_name(pattern)} {_show(pattern)}, not a string")
        try:
            re.compile(pattern)
        except re.error as e:
            raise fail(f"entry {i + 1} {_show(pattern)} is not a valid regular expression: {e}") from None
        why = regexcheck.problem(pattern)
        if why:
            raise fail(f"entry {i + 1} {_show(pattern)} is refused: {why}")
    return tuple(value)


def _check_cron(value: Any, fail) -> str:
    if not isinstance(value, str):
        raise fail(f"must be a crontab string like '0 */6 * * *', not {_type_name(value)} {_show(value)}")
    expr = " ".join(value.split())
    # Imported here: loading sources must not pull in the scheduler unless a cron is used.
    from apscheduler.triggers.cron import CronTrigger
    try:
        # A fixed timezone: validating must not depend on (or fail to find) the local zone.
        trigger = CronTrigger.from_crontab(expr, timezone="UTC")
    except (ValueError, TypeError, KeyError) as e:
        raise fail(f"{_show(value)} is not a valid crontab expression: {e}") from None
    # A valid expression may name a day that never comes (31 February): the daemon would
    # schedule nothing, silently.
    if trigger.get_next_fire_time(None, datetime.now(trigger.timezone)) is None:
        raise fail(f"{_show(value)} never fires (no such date)")
    return expr


_TYPE_NAMES = {str: "a string", bool: "a boolean", int: "an integer", float: "a float",
               list: "an array", dict: "a table", datetime: "a datetime", date: "a date",
               time: "a time"}


def _type_name(value: Any) -> str:
    """The TOML name of a value's type, for messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """repr() cut to a readable length; repr also keeps newlines out of the message."""
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS - 3] + "..."


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
