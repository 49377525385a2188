"""The command line: a thin layer over nlp, crawler, storage and schedules.

Every error a user can cause prints one line naming the input and exits non-zero; no traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from computewatch import __version__, filters, settings as settings_mod

from nlp.types import CLAIM_FIELDS


def error(msg: str) -> None:
    print(f"computewatch: error: {msg}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from schedules import lifeline

    lifeline.watch()               # a crawl the daemon started dies with it
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from computewatch import logs
    from crawler.sources import SourcesError
    from storage.db import DatabaseError

    try:
        conf = settings_mod.load(db=getattr(args, "db", None), sources=getattr(args, "sources", None),
                                 log_format=getattr(args, "log_format", None),
                                 log_file=getattr(args, "log_file", None))
        # Runs log at INFO by themselves; -v is one level more detail, whatever the command.
        level = logging.INFO if args.func in _LOGS_RUNS else logging.WARNING
        if getattr(args, "verbose", False):
            level = logging.DEBUG if level == logging.INFO else logging.INFO
        logs.setup(level, conf.log_format, conf.log_file)
        args.conf = conf
        code = args.func(args) or 0
        if args.func not in (cmd_daemon, cmd_worker):   # these ride faults out (logged)
            from storage import db as db_mod

            if db_mod.first_fault is not None:    # met and carried past: still a failure
                url, fault = db_mod.first_fault
                message = db_mod.explain(conf.db or url, fault)
                if not _fail_open_runs(conf.db or url, message):
                    message += "; a run could not be closed (the next run closes it)"
                error(message)
                return 2
        return code
    except (settings_mod.SettingsError, SourcesError, DatabaseError) as e:
        error(str(e))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        # A database fault mid-command (disk full, read-only, locked, server gone): one line
        # naming the database and the cause, the runs this process opened closed as failed.
        fault = _database_fault(e)
        if fault is None:
            raise
        url = getattr(getattr(args, "conf", None), "db", None) or ""
        from storage.db import explain

        message = explain(url, fault)
        if not _fail_open_runs(url, message):
            message += "; a run could not be closed (the next run closes it)"
        error(message)
        return 2


def _database_fault(exc: BaseException):
    """The database error behind `exc` (itself or one it was raised from), or None."""
    from storage.db import is_database_fault

    seen = set()
    while exc is not None and id(exc) not in seen:
        if is_database_fault(exc):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _fail_open_runs(url: str, message: str) -> bool:
    """The runs this process left 'running', failed; False if that could not be written (the
    fault may forbid this write too: then the daemon, which reads its child's row back, or the
    next crawl of the source closes the run)."""
    import os

    if not url:
        return True
    try:
        from storage import runs
        from storage.db import Database, create

        database = Database(url, create(url))
        try:
            with database.session(write=True) as s:
                runs.fail_open_runs(s, os.getpid(), message)
        finally:
            database.dispose()
    except Exception:
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="computewatch", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"computewatch {__version__}")
    sub = p.add_subparsers(metavar="COMMAND")

    x = sub.add_parser("extract", help="print the numeric claims in pages (files or URLs)")
    x.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    x.add_argument("--format", choices=["jsonl", "table", "csv"], default="table")
    x.add_argument("--lang", choices=["en", "zh"], help="skip language detection")
    x.set_defaults(func=cmd_extract)

    m = sub.add_parser("mentions", help="every numeric mention in a text, unfiltered")
    m.add_argument("text", metavar="TEXT|-", help="the text, or - to read lines from stdin")
    m.add_argument("--lang", choices=["en", "zh"])
    m.set_defaults(func=cmd_mentions)

    d = sub.add_parser("demo", help="crawl the bundled sample news site (offline) into the database")
    _db_option(d)
    d.set_defaults(func=cmd_demo)

    c = sub.add_parser("crawl", help="crawl sources, extract and store their claims")
    c.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    c.add_argument("--sources", metavar="FILE", help="a sources TOML adding to or replacing the shipped list")
    c.add_argument("--max-pages", type=_positive_int, metavar="N", help="at most N article pages per source")
    c.add_argument("--fetch-only", action="store_true",
                   help="only fetch and store pages; leave processing them to running workers")
    c.add_argument("--await-workers", action="store_true", help=argparse.SUPPRESS)  # the daemon's
    _db_option(c)
    c.set_defaults(func=cmd_crawl)

    w = sub.add_parser("worker", help="process pending pages from the queue until SIGTERM/SIGINT "
                                      "(--once: until the queue is empty)")
    w.add_argument("--batch", type=_positive_int, default=20, metavar="N", help="pages leased at a time")
    w.add_argument("--once", action="store_true", help="exit when no page is pending")
    w.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)  # the daemon's
    _db_option(w)
    w.set_defaults(func=cmd_worker)

    q = sub.add_parser("claims", help="query the stored claims")
    filters.add_options(q, filters.CLAIM_OPTIONS)
    q.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")
    _db_option(q)
    q.set_defaults(func=cmd_claims)

    fc = sub.add_parser("facts", help="the figures reported, each once, with every report of it")
    filters.add_options(fc, filters.FACT_OPTIONS)
    fc.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")
    _db_option(fc)
    fc.set_defaults(func=cmd_facts)

    ex = sub.add_parser("export", help="write claims or facts to a file: CSV, JSON lines or Parquet "
                                       "(the filters of `claims` and `facts`)")
    exsub = ex.add_subparsers(metavar="TABLE", required=True)
    for table, options, what in (("claims", filters.CLAIM_OPTIONS, "the stored claims"),
                                 ("facts", filters.FACT_OPTIONS, "the facts, each with its reports")):
        e = exsub.add_parser(table, help=what)
        filters.add_options(e, options)
        e.add_argument("--format", choices=["csv", "jsonl", "parquet"],
                       help="default: from the output's extension (.csv, .jsonl, .parquet)")
        e.add_argument("--output", "-o", required=True, metavar="FILE",
                       help="written whole or not at all (a temporary file, renamed when done)")
        _db_option(e)
        e.set_defaults(func=cmd_export, table=table)

    r = sub.add_parser("reprocess", help="recompute articles and claims from stored pages (offline)")
    r.add_argument("--all", action="store_true", help="every page, not only those an older extractor read")
    r.add_argument("--source", metavar="NAME", help="only pages of this source")
    _db_option(r)
    r.set_defaults(func=cmd_reprocess)

    im = sub.add_parser("import", help="backfill from web archives: WARC/ARC files (gzip or not), e.g. CC-NEWS")
    im.add_argument("inputs", nargs="+", metavar="PATH_OR_GLOB")
    im.add_argument("--source", metavar="NAME", help="only this configured source's domains; pages go to it")
    im.add_argument("--sources", metavar="FILE", help="a sources TOML adding to or replacing the shipped list")
    im.add_argument("--lang", choices=["en", "zh"], help="skip pages that declare another language")
    im.add_argument("--domains", metavar="FILE", help="domains to keep, one a line (default: the sources')")
    im.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="records fetched on or after")
    im.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="records fetched on or before")
    _db_option(im)
    im.set_defaults(func=cmd_import)

    sv = sub.add_parser("serve", help="a read-only web app over the database (every page also .json and .csv)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=_port, default=8000)
    _db_option(sv)
    sv.set_defaults(func=cmd_serve)

    s = sub.add_parser("sources", help="list the configured sources")
    s.add_argument("--sources", metavar="FILE")
    s.add_argument("--format", choices=["table", "jsonl"], default="table")
    s.set_defaults(func=cmd_sources)

    dm = sub.add_parser("daemon", help="crawl every enabled source on its schedule until SIGTERM/SIGINT "
                                      "(SIGHUP re-reads the sources file)")
    dm.add_argument("--sources", metavar="FILE", help="a sources TOML adding to or replacing the shipped list")
    _db_option(dm)
    dm.set_defaults(func=cmd_daemon)

    st = sub.add_parser("status", help="each source's last run, next run, totals and failures")
    st.add_argument("--sources", metavar="FILE", help="a sources TOML adding to or replacing the shipped list")
    st.add_argument("--format", choices=["table", "json"], default="table")
    _db_option(st)
    st.set_defaults(func=cmd_status)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="apply pending migrations (every command also does)")
    _db_option(up)
    up.set_defaults(func=cmd_db_upgrade)
    return p


def _db_option(p) -> None:
    p.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: $COMPUTEWATCH_DB, else the SQLite file)")
    p.add_argument("--log-format", choices=["text", "json"])
    p.add_argument("--log-file", metavar="PATH", help="also log to this file (rotated)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log one level more: INFO (DEBUG for crawl, worker, reprocess and daemon, "
                        "which log their runs at INFO anyway)")


_positive_int = filters.argparse_type(filters.positive_int)


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < n < 65536:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return n


_date = filters.argparse_type(filters.day)


def cmd_crawl(args) -> int:
    from computewatch.crawl import LiveDisplay, crawl
    from computewatch.output import write_runs
    from crawler import sources as sources_mod

    conf = args.conf
    chosen = sources_mod.load(conf.sources or None)
    if args.source:
        chosen = sources_mod.select(chosen, args.source)
    else:
        chosen = [s for s in chosen if s.enabled]
    if not chosen:
        error("no sources to crawl")
        return 2
    if conf.frontier:            # refused in one line before any run is opened
        from crawler.frontier import FrontierError, check
        try:
            check(conf.frontier)
        except FrontierError as e:
            error(str(e))
            return 2
    with LiveDisplay() as display:
        results = crawl(conf, chosen, max_pages=args.max_pages, display=display,
                        process_pages=not args.fetch_only, await_workers=args.await_workers)
    write_runs([r.__dict__ for r in results])
    if any(r.status == "interrupted" for r in results):
        return 130
    if any(r.status == "timed_out" for r in results):
        error("stopped by the time limit (crawl_time_limit): " + ", ".join(
            r.source for r in results if r.status == "timed_out"))
        return 4
    from storage import db as db_mod

    if db_mod.first_fault is not None:     # the database failed us: main() says so, in one line
        return 2
    if all(r.status == "failed" for r in results):
        error("no source could be reached: " + "; ".join(f"{r.source}: {r.message}" for r in results))
        return 3
    return 0


def cmd_worker(args) -> int:
    from computewatch.worker import run_worker

    report = run_worker(args.conf, batch=args.batch, once=args.once,
                        exit_with_parent=args.exit_with_parent)
    print(report.summary())
    return 0


def cmd_import(args) -> int:
    from computewatch import importer
    from computewatch.output import write_imports

    try:
        with importer.ImportDisplay() as display:
            report = importer.run(args.conf, args.inputs, source=args.source, lang=args.lang,
                                  domains_file=args.domains, since=args.since, until=args.until,
                                  warn=error, display=display)
    except importer.ImportRefused as e:
        error(str(e))
        return 2
    write_imports(report)
    return 1 if report.failed else 0


def _warn_unknown_subjects(session, asked: list[str] | None) -> None:
    """A `--subject` that stands for no subject of any claim (by itself or as an alias:
    'Facebook' is Meta) is warned about, with the nearest ones, so a typo is not read as
    "nothing was claimed"."""
    from storage import entities, queries

    if not asked:
        return
    known = queries.subjects(session)
    for name in asked:
        if not set(entities.resolve(session, name)) & known:
            warn_unknown("subject", name, known)


def _warn_unknown_sources(session, asked: list[str] | None) -> None:
    from storage import queries

    known = queries.source_names(session)
    for name in asked or ():
        if name not in known:
            warn_unknown("source", name, known)


def warn_unknown(what: str, name: str, known: set[str]) -> None:
    import difflib

    near = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    print(f"computewatch: warning: no claim has the {what} {name!r}{hint}", file=sys.stderr)


def cmd_claims(args) -> int:
    from storage import queries
    from storage.db import open_for_query

    database = open_for_query(args.conf.db)
    with database.session() as s:
        _warn_unknown_subjects(s, args.subject)
        _warn_unknown_sources(s, args.source)
        rows = queries.claims(s, filters.claim_filter(s, vars(args)))
    database.dispose()
    if args.format == "jsonl":
        from computewatch.output import write_jsonl
        write_jsonl(rows)
    elif args.format == "csv":
        from computewatch.output import write_csv
        write_csv(rows, queries.CLAIM_ROW_FIELDS)
    else:
        from computewatch.output import write_claims_table
        write_claims_table(rows)
    return 0


def cmd_facts(args) -> int:
    from storage import fact_queries
    from storage.db import open_for_query

    database = open_for_query(args.conf.db)
    with database.session() as s:
        _warn_unknown_subjects(s, args.subject)
        rows = fact_queries.facts(s, filters.fact_filter(s, vars(args)))
    database.dispose()
    if args.format == "jsonl":
        from computewatch.output import write_jsonl
        write_jsonl(rows)
    elif args.format == "csv":
        from computewatch.output import write_csv
        write_csv([fact_queries.flat(r) for r in rows], fact_queries.FACT_FIELDS)
    else:
        from computewatch.output import write_facts_table
        write_facts_table(rows)
    return 0


def cmd_export(args) -> int:
    from computewatch import export

    try:
        fmt = export.format_of(args.output, args.format)
        written = export.export(args.conf.db, args.table, fmt, args.output, vars(args))
    except export.ExportError as e:
        error(str(e))
        return 2
    print(f"computewatch: {written:,} {args.table if written != 1 else args.table[:-1]} written to "
          f"{args.output} ({fmt})", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    import ipaddress

    import uvicorn

    from computewatch.web.app import create_app
    from storage.db import describe, open_readonly

    database = open_readonly(args.conf.db)
    try:
        local = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        local = args.host == "localhost"
    if not local:
        print(f"computewatch: warning: serving on {args.host}: reachable from other machines "
              "(the app is read-only, but anyone who can reach it can read the database)", file=sys.stderr)
    print(f"computewatch: serving {describe(args.conf.db)} read-only on http://{args.host}:{args.port}/",
          file=sys.stderr, flush=True)
    try:
        uvicorn.run(create_app(database), host=args.host, port=args.port, log_level="warning",
                    access_log=False)
    finally:
        database.dispose()
    return 0


def cmd_reprocess(args) -> int:
    from computewatch.reprocess import reprocess
    from computewatch.worker import stop_on_signals

    stopped: list = []               # SIGTERM/SIGINT: stop after the page in hand
    stop_on_signals(stopped, sigint=True)
    report = reprocess(args.conf, everything=args.all, source=args.source,
                       should_stop=lambda: bool(stopped))
    print(report.summary())
    return 0 if not report.errors else 1


def cmd_sources(args) -> int:
    from crawler import sources as sources_mod

    chosen = sources_mod.load(args.conf.sources or None)
    if args.format == "jsonl":
        from computewatch.output import write_jsonl
        write_jsonl(sources_mod.as_dict(s) for s in chosen)
    else:
        from computewatch.output import write_sources
        write_sources(chosen)
    return 0


def cmd_db_upgrade(args) -> int:
    from computewatch.crawl import sync_entities
    from storage.db import describe, open_database

    database = open_database(args.conf.db)
    sync_entities(database)
    database.refresh_planner_stats()
    database.dispose()
    print(f"{describe(args.conf.db)}: up to date")
    return 0


def cmd_daemon(args) -> int:
    from schedules import daemon

    return daemon.run(args.conf)


def cmd_status(args) -> int:
    from datetime import datetime, timezone

    from crawler import sources as sources_mod
    from schedules import status
    from storage.db import open_database

    chosen = sources_mod.load(args.conf.sources or None)
    database = open_database(args.conf.db)
    try:
        rows = status.collect(database, chosen)
        holder = status.daemon_holder(database) if args.format == "table" else None
        depth = status.queue_depth(database) if args.format == "table" else None
    finally:
        database.dispose()
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        console = Console(width=None if sys.stdout.isatty() else 200)
        now = datetime.now(timezone.utc)
        console.print(status.table(rows, holder, now))
        console.print(status.queue_line(depth, now))
    return 0


def cmd_demo(args) -> int:
    from computewatch import demo

    return demo.run(args.conf)


def cmd_extract(args) -> int:
    from computewatch import inputs
    from nlp import article
    from nlp.pipeline import process_page

    conf = args.conf
    failed = 0
    csv_header = True
    for source in args.inputs:
        try:
            raw = inputs.read(source, conf.max_page_bytes, conf.fetch_timeout, conf.user_agent)
            result = process_page(raw.body, raw.url or source, raw.content_type, lang=args.lang,
                                  name=source)
        except (inputs.InputError, article.NotAnArticle) as e:
            error(f"{source}: {e}")
            failed += 1
            continue
        rows = [c.to_dict() for c in result.claims]
        if args.format == "jsonl":
            from computewatch.output import write_jsonl
            write_jsonl(rows)
        elif args.format == "csv":
            from computewatch.output import write_csv
            write_csv(rows, CLAIM_FIELDS, header=csv_header)
            csv_header = False
        else:
            from computewatch.output import write_table
            a = result.article
            title = f"{a.title or source}  [{a.lang}{', ' + a.published if a.published else ''}]"
            write_table(rows, title=title)
    return 1 if failed else 0


def cmd_mentions(args) -> int:
    from nlp.mentions import find_mentions

    fields = ["kind", "text", "start", "end", "value", "value_max", "unit", "currency", "approx"]

    def dump(text: str) -> list[dict]:
        return [{k: getattr(m, k) for k in fields} for m in find_mentions(text, args.lang)]

    if args.text != "-":
        for row in dump(args.text):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    stdin = sys.stdin.buffer
    for n, raw in enumerate(stdin, 1):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        print(json.dumps({"line": n, "mentions": dump(line)}, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    return 0


_LOGS_RUNS = (cmd_crawl, cmd_reprocess, cmd_daemon, cmd_worker)


if __name__ == "__main__":
    sys.exit(main())
