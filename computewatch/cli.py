"""The command line: a thin layer over nlp, crawler, storage and schedules.

Every error a user can cause prints one line naming the input and exits non-zero; no traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from computewatch import __version__, settings as settings_mod

CLAIM_FIELDS = ["kind", "value", "value_max", "unit", "currency", "approx", "subject", "metric",
                "text", "sentence", "start", "end", "lang", "source"]


def error(msg: str) -> None:
    print(f"computewatch: error: {msg}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args) or 0
    except settings_mod.SettingsError as e:
        error(str(e))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


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

    d = sub.add_parser("demo", help="run the pipeline on the bundled sample news site (offline)")
    d.set_defaults(func=cmd_demo)
    return p


def cmd_demo(args) -> int:
    from computewatch import demo

    return demo.run()


def cmd_extract(args) -> int:
    from computewatch import inputs
    from nlp import article
    from nlp.pipeline import extract_page

    conf = settings_mod.load()
    failed = 0
    csv_header = True
    for source in args.inputs:
        try:
            raw = inputs.read(source, conf.max_page_bytes, conf.fetch_timeout, conf.user_agent)
            result = extract_page(raw.body, source, raw.content_type, url=raw.url, lang=args.lang)
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


if __name__ == "__main__":
    sys.exit(main())
