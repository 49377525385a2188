"""`computewatch import`: backfill from web archives (WARC/ARC files, e.g. Common Crawl CC-NEWS).

Records are streamed with warcio, one at a time (memory stays flat however big the file). HTTP
responses of HTML pages from the listed domains are stored as pages, with their original fetch
date and headers, exactly as the crawler stores what it fetches; the processing step then reads
them like any other stored page. Progress per file (`storage.imports`) is committed with the
pages it covers, so an import that is killed resumes at the record where it stopped.

A record that cannot be read (a corrupt gzip member, a broken HTTP header, an oversized body) is
reported on one line with the file and offset; reading resumes at the next record boundary.
"""
from __future__ import annotations

import glob
import logging
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from computewatch.crawl import LiveDisplay
from crawler.urls import canonical
from storage.pages import FetchedPage

log = logging.getLogger("computewatch.import")

BATCH = 50                          # pages per transaction (and per progress checkpoint)
HTML_TYPES = ("text/html", "application/xhtml+xml")
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_START = re.compile(rb"(?:^|\n)(WARC/1\.[01]\r?\n)")
SCAN_CHUNK = 1 << 20


class ImportRefused(Exception):
    """The import cannot start (no domains to keep, unreadable domains file): one line."""


@dataclass
class Filters:
    domains: frozenset[str]          # registrable hosts; a page's host must be one or under one
    since: date | None = None
    until: date | None = None
    lang: str | None = None          # keep pages declaring this language (or none at all)
    max_bytes: int = 20 * 1024 * 1024

    def host_listed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        while host:
            if host in self.domains:
                return True
            host = host.partition(".")[2]
        return False


@dataclass
class FileReport:
    path: str
    records: int = 0
    kept: int = 0                    # pages stored (new)
    skipped: Counter = field(default_factory=Counter)
    errors: int = 0
    resumed_at: int = 0
    already_done: bool = False
    message: str | None = None       # why the whole file could not be read


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    articles: int = 0
    claims: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return any(f.errors or f.message for f in self.files)


# --------------------------------------------------------------------------- what to keep

def domains_of(sources) -> frozenset[str]:
    """The hosts of the configured sources' feeds, sitemaps and listing pages (www. dropped)."""
    hosts = set()
    for src in sources:
        for url in (*src.feeds, *src.sitemaps, *src.start_urls):
            host = (urlsplit(url).hostname or "").lower()
            if host:
                hosts.add(host.removeprefix("www."))
    return frozenset(hosts)


def read_domains_file(path: str) -> frozenset[str]:
    """One domain a line; blank lines and # comments ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ImportRefused(f"{path}: cannot read the domains file: {getattr(e, 'strerror', None) or e}") from None
    out = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            host = urlsplit(line).hostname if "://" in line else line
            out.add((host or line).removeprefix("www.").rstrip("."))
    if not out:
        raise ImportRefused(f"{path}: the domains file lists no domain")
    return frozenset(out)


_LANG_ATTR = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2})", re.I)


def declared_lang(headers: dict, body: bytes) -> str | None:
    """The page's own word on its language: Content-Language, else <html lang>."""
    value = next((v for k, v in headers.items() if k.lower() == "content-language"), None)
    if value:
        return value.strip()[:2].lower()
    m = _LANG_ATTR.search(body[:4096])
    return m.group(1).decode().lower() if m else None


def expand(patterns: list[str]) -> tuple[list[str], list[str]]:
    """Paths named or matched by globs, in order, each once; and the patterns matching nothing."""
    paths, unmatched, seen = [], [], set()
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if glob.has_magic(pattern) and not found:
            unmatched.append(pattern)
        for p in found:
            ap = os.path.abspath(p)
            if ap not in seen:
                seen.add(ap)
                paths.append(ap)
    return paths, unmatched


# --------------------------------------------------------------------------- reading records

def _warc_date(record) -> datetime | None:
    value = record.rec_headers.get_header("WARC-Date") or record.rec_headers.get_header("archive-date")
    if not value:
        return None
    try:
        if value.isdigit() and len(value) == 14:             # ARC: 20240131123456
            return datetime.strptime(value, "%Y%m%d%H%M%S")
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _next_boundary(fh, after: int, gzipped: bool) -> int | None:
    """The offset of the next record start after `after` (a gzip member, or a WARC/1.x line)."""
    pos = after + 1
    tail = b""
    while True:
        fh.seek(pos)
        chunk = fh.read(SCAN_CHUNK)
        if not chunk:
            return None
        data = tail + chunk
        base = pos - len(tail)
        if gzipped:
            i = data.find(GZIP_MAGIC)
            if i >= 0:
                return base + i
        else:
            m = WARC_START.search(data)
            if m:
                return base + m.start(1)
        tail = data[-16:]
        pos += len(chunk)


class Importer:
    """Imports archive files into one database; one instance per `import` command."""

    def __init__(self, database, filters: Filters, source_for_host, warn, on_progress=lambda: None):
        self.database = database
        self.warn = warn                           # one line on stderr per unreadable record
        self.filters = filters
        self.source_for_host = source_for_host     # host -> source id (or None)
        self.on_progress = on_progress
        self.report = ImportReport()
        self.new_page_ids: list[int] = []

    def import_file(self, path: str) -> FileReport:
        from storage import imports

        rep = FileReport(path)
        self.report.files.append(rep)
        if not os.path.exists(path):
            rep.message = "no such file"
            return rep
        if not os.path.isfile(path):
            rep.message = "not a regular file"
            return rep
        size = os.path.getsize(path)
        with self.database.session(write=True) as s:
            st = imports.state(s, path, size)
        if st.done:
            rep.already_done = True
            return rep
        rep.resumed_at = st.offset
        with open(path, "rb") as fh:
            head = fh.read(8)
            gzipped = head.startswith(GZIP_MAGIC[:2])
            if not gzipped and not head.startswith((b"WARC/", b"filedesc")) and st.offset == 0:
                rep.message = "not a WARC or ARC file"
                return rep
            self._read_from(fh, path, st.offset, size, gzipped, rep)
        return rep

    def _read_from(self, fh, path: str, offset: int, size: int, gzipped: bool, rep: FileReport) -> None:
        from warcio.archiveiterator import ArchiveIterator

        pending: list = []            # FetchedPage, host
        counted = [0, 0]              # records and errors since the last checkpoint
        position = offset             # start of the next record not yet dealt with
        while position is not None and position < size:
            fh.seek(position)
            # HTTP headers are parsed only for records of listed domains (see _consider): in
            # CC-NEWS most records are not, and parsing them is half of warcio's work per record.
            iterator = ArchiveIterator(fh, arc2warc=True, no_record_parse=True)
            try:
                for record in iterator:
                    self._consider(record, iterator.loader, path, position, pending, rep)
                    iterator.read_to_end()
                    position = iterator.offset
                    rep.records += 1
                    counted[0] += 1
                    if len(pending) >= BATCH:
                        self._checkpoint(path, position, pending, counted, rep)
                    self.on_progress()
                else:
                    position = size             # the iterator reached the end of the file
            except Exception as e:              # this record is unreadable; the next one may not be
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                if position == 0 and rep.records == 0 and type(e).__name__ == "ArchiveLoadFailed":
                    rep.message = "not a WARC or ARC file"
                    return
                self._record_error(path, position, f"unreadable record ({reason[:200]})", rep)
                counted[1] += 1
                position = _next_boundary(fh, position, gzipped)
        self._checkpoint(path, size, pending, counted, rep, done=True)

    def _record_error(self, path: str, offset: int, what: str, rep: FileReport) -> None:
        rep.errors += 1
        self.warn(f"{path}: offset {offset}: {what}")

    def _consider(self, record, loader, path: str, offset: int, pending: list, rep: FileReport) -> None:
        """Keep the record as a page if it is an HTML response from a listed domain."""
        if record.rec_type == "revisit":
            rep.skipped["revisit"] += 1
            return
        if record.rec_type != "response":
            rep.skipped["not_response"] += 1
            return
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        host = urlsplit(url).hostname or ""
        if not host or not self.filters.host_listed(host):
            rep.skipped["domain_not_listed"] += 1
            return
        record.http_headers = loader.load_http_headers(record.rec_type, url, record.raw_stream, record.length)
        if record.http_headers is None:
            rep.skipped["not_response"] += 1
            return
        status = int(record.http_headers.get_statuscode() or 0)
        if status != 200:
            rep.skipped[f"http_{status}"] += 1
            return
        ctype = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            rep.skipped["not_html"] += 1
            return
        fetched = _warc_date(record)
        day = fetched.date() if fetched else None
        if day and ((self.filters.since and day < self.filters.since)
                    or (self.filters.until and day > self.filters.until)):
            rep.skipped["outside_dates"] += 1
            return
        body = record.content_stream().read(self.filters.max_bytes + 1)
        if len(body) > self.filters.max_bytes:
            self._record_error(path, offset, f"{url}: record over max_page_bytes "
                                             f"({self.filters.max_bytes} bytes), skipped", rep)
            return
        headers = {k: v for k, v in record.http_headers.headers}
        if self.filters.lang:
            lang = declared_lang(headers, body)
            if lang and lang != self.filters.lang:
                rep.skipped["other_language"] += 1
                return
        page = FetchedPage(url=canonical(url), final_url=url, status=status, headers=headers,
                           body=body, fetched_at=fetched or datetime.now(timezone.utc).replace(tzinfo=None))
        pending.append((page, host))

    def _checkpoint(self, path: str, offset: int, pending: list, counted: list, rep: FileReport,
                    done: bool = False) -> None:
        """Store the pages read so far and the offset after them, in one transaction."""
        from storage import imports
        from storage.pages import known_urls, store_pages

        with self.database.session(write=True) as s:
            known = known_urls(s, [p.url for p, _ in pending])
            by_source: dict = {}
            for page, host in pending:
                if page.url in known:
                    rep.skipped["known"] += 1
                    continue
                by_source.setdefault(self.source_for_host(host), []).append(page)
            kept = 0
            for source_id, pages in by_source.items():
                ids = store_pages(s, pages, source_id, None)
                kept += len(ids)
                rep.skipped["known"] += len(pages) - len(ids)
                self.new_page_ids.extend(ids)
            imports.advance(s, path, offset, counted[0], kept, counted[1], done=done)
        rep.kept += kept
        pending.clear()
        counted[0] = counted[1] = 0


# --------------------------------------------------------------------------- the command

def run(conf, patterns: list[str], source: str | None = None, lang: str | None = None,
        domains_file: str | None = None, since: date | None = None, until: date | None = None,
        warn=print, display=None) -> ImportReport:
    from computewatch.crawl import sync_entities
    from crawler import sources as sources_mod
    from crawler.sources import as_dict
    from storage import pages as pages_db
    from storage.db import open_database

    configured = sources_mod.load(conf.sources or None)
    chosen = sources_mod.select(configured, [source]) if source else configured
    domains = read_domains_file(domains_file) if domains_file else domains_of(chosen)
    if not domains:
        raise ImportRefused("no domains to keep: name them with --domains FILE")
    filters = Filters(domains, since, until, lang, conf.max_page_bytes)
    paths, unmatched = expand(patterns)

    database = open_database(conf.db)
    sync_entities(database)
    with database.session(write=True) as s:
        ids = {src.name: pages_db.ensure_source(s, src.name, src.lang, as_dict(src)) for src in chosen}
    host_source = {}
    for src in chosen:
        for host in domains_of([src]):
            host_source.setdefault(host, ids[src.name])

    def source_for_host(host: str):
        host = host.lower()
        while host:
            if host in host_source:
                return host_source[host]
            host = host.partition(".")[2]
        return ids[source] if source else None

    importer = Importer(database, filters, source_for_host, warn,
                        on_progress=(lambda: display.show(importer)) if display else (lambda: None))
    started = time.monotonic()
    for pattern in unmatched:
        importer.report.files.append(FileReport(pattern, message="no file matches"))
        warn(f"{pattern}: no file matches")
    for path in paths:
        if display:
            display.start_file(path)
        rep = importer.import_file(path)
        if rep.message:
            warn(f"{path}: {rep.message}")
        _process(database, importer, conf.worker_lease)
        if display:
            display.show(importer)
    importer.report.seconds = time.monotonic() - started
    database.dispose()
    r = importer.report
    log.info("import", extra={"fields": {"files": len(r.files), "records": sum(f.records for f in r.files),
                                         "kept": sum(f.kept for f in r.files), "articles": r.articles,
                                         "claims": r.claims, "seconds": round(r.seconds, 1)}})
    return r


def _process(database, importer: Importer, lease: float) -> None:
    """Process what is pending (this file's pages, any a killed import left): the same worker
    loop a crawl runs on the pages it stored."""
    from computewatch.processing import Outcome
    from computewatch.worker import Worker
    from nlp import EXTRACTOR_VERSION

    importer.new_page_ids = []

    def count(p) -> None:
        if p.new_article and p.outcome == Outcome.ARTICLE:
            importer.report.articles += 1
            importer.report.claims += p.claims

    Worker(database, EXTRACTOR_VERSION, lease=lease, on_page=count).run(finish=lambda: True)


class ImportDisplay(LiveDisplay):
    """The crawl's one-line live status, saying what the import has read and kept."""

    current = ""

    def start_file(self, path: str) -> None:
        self.current = os.path.basename(path)

    def show(self, importer: Importer) -> None:
        if not self.live or importer.report.files is None:
            return
        files = importer.report.files
        records = sum(f.records for f in files)
        kept = sum(f.kept for f in files)
        errors = sum(f.errors for f in files)
        self.live.update(f"importing {self.current} · records {records} · pages kept {kept} · "
                         f"articles {importer.report.articles} · claims {importer.report.claims} · "
                         f"errors {errors}", refresh=False)
