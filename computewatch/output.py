"""Rows out: JSON lines, CSV, or a table (rich on a terminal, TSV when piped).

Tables show text from pages (sentences, headlines, source names): it goes in as rich Text, never
as markup, so "[dim]" or "[/]" in a sentence is printed as written. On a terminal, columns of low
priority are left out until the table fits its width (a sentence column needs room to be read);
piped (`| cut -f`, `> file.tsv`), every column is printed as tab-separated values, one row a line.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass
from typing import Iterable


def human(value: float | None) -> str:
    """4e10 -> '40B', 240000 -> '240K': figures an analyst reads at a glance."""
    if value is None:
        return ""
    if abs(value) < 1e6 and float(value).is_integer():
        return f"{value:,.0f}"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.4g}"


def watts(value: float | None) -> str:
    """1.2e9 -> '1.2 GW', 1.5e8 -> '150 MW': power as the industry writes it."""
    if value is None:
        return ""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}W"
    return f"{value:.4g} W"


def figure(row: dict) -> str:
    approx = {"about": "~", "over": ">", "under": "<", "up_to": "≤"}.get(row.get("approx") or "", "")
    if row.get("kind") == "power":
        lo, hi = watts(row.get("value")), watts(row.get("value_max"))
        if hi and lo.split(" ")[1] == hi.split(" ")[1]:         # 1–2 GW, but 500 MW–1.2 GW
            lo = lo.split(" ")[0]
        return approx + (f"{lo}–{hi}" if hi else lo)
    v = human(row.get("value"))
    if row.get("value_max") is not None:
        v += "–" + human(row["value_max"])
    unit = row.get("currency") if row.get("kind") == "money" else row.get("unit")
    return f"{approx}{v} {unit or ''}".strip()


def write_jsonl(rows: Iterable[dict], out=None) -> None:
    out = out or sys.stdout
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    out.flush()


def write_csv(rows: Iterable[dict], columns: list[str], out=None, header: bool = True) -> None:
    w = csv.DictWriter(out or sys.stdout, fieldnames=columns, extrasaction="ignore")
    if header:
        w.writeheader()
    for row in rows:
        w.writerow(row)


@dataclass
class Column:
    name: str
    priority: int = 0              # lower goes first when the terminal is too narrow
    justify: str = "left"
    style: str = ""
    wrap: bool = False             # the one column that takes the rest of the width, wrapped
    min_width: int = 0


def _tsv_cell(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def show(columns: list[Column], rows: list[list], title: str | None = None, out=None,
         styles: list[str] | None = None, title_when_piped: bool = False) -> None:
    """Print `rows` (plain strings, one per column) as a table on a terminal, else as TSV.

    `styles` gives a row style each (e.g. "dim" for a superseded fact), on a terminal only;
    piped, the title goes to stderr if `title_when_piped` (which page the rows are from)."""
    out = out or sys.stdout
    if not out.isatty():
        if title and title_when_piped:
            print(title, file=sys.stderr)
        out.write("\t".join(c.name for c in columns) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_cell(v) for v in row) + "\n")
        out.flush()
        return
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, soft_wrap=False)
    widths = [max([cell_len(c.name)] + [max((cell_len(x) for x in str(r[i]).split("\n")), default=0)
                                         for r in rows]) for i, c in enumerate(columns)]
    keep = list(range(len(columns)))

    def needed(idx):
        return sum((max(columns[i].min_width, 24) if columns[i].wrap else widths[i]) + 3 for i in idx) + 1

    for i in sorted(keep, key=lambda i: columns[i].priority):
        if needed(keep) <= console.width:
            break
        if columns[i].priority < 100 and len(keep) > 1:
            keep.remove(i)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
    for i in keep:
        c = columns[i]
        table.add_column(c.name, justify=c.justify, style=c.style or None, no_wrap=not c.wrap,
                         overflow="fold" if c.wrap else "ellipsis", ratio=1 if c.wrap else None,
                         min_width=c.min_width or None)
    for n, row in enumerate(rows):
        style = (styles[n] if styles else "") or None
        table.add_row(*[Text(str(row[i]) if row[i] is not None else "") for i in keep], style=style)
    console.print(table)


def write_table(rows: list[dict], title: str | None = None, extra: list[str] = ()) -> None:
    """Claims of one page (`computewatch extract --format table`)."""
    columns = [Column("kind", 50, style="cyan"), Column("figure", 100, "right", "bold"),
               Column("subject", 90, style="green"), Column("metric", 40),
               *[Column(c, 30) for c in extra], Column("mention", 80, wrap=True, min_width=20)]
    show(columns, [[r["kind"], figure(r), r.get("subject") or "", r.get("metric") or "",
                    *[str(r.get(c) or "") for c in extra], r.get("text") or ""] for r in rows],
         title=title, title_when_piped=True)


def write_claims_table(rows: list[dict]) -> None:
    """Stored claims with where they were reported (`computewatch claims`)."""
    columns = [Column("reported", 70), Column("kind", 20, style="cyan"),
               Column("figure", 100, "right", "bold"), Column("subject", 90, style="green"),
               Column("metric", 30), Column("source", 10),
               Column("sentence", 80, wrap=True, min_width=30), Column("url", 5)]
    show(columns, [[r.get("published") or r.get("reported_on") or "", r["kind"], figure(r),
                    r.get("subject") or "", r.get("metric") or "", r.get("source") or "",
                    r.get("sentence") or "", r.get("url") or ""] for r in rows],
         title=f"{len(rows)} claim(s)")


def write_facts_table(rows: list[dict]) -> None:
    """Facts, each once, with how widely reported and its links (`computewatch facts`)."""
    columns = [Column("fact", 95, "right"), Column("first seen", 60), Column("kind", 20),
               Column("figure", 100, "right", "bold"), Column("USD", 45, "right"),
               Column("subject", 90, style="green"), Column("metric", 50), Column("period", 55),
               Column("status", 35), Column("articles", 65, "right"), Column("langs", 25),
               Column("links", 15, wrap=True, min_width=12)]
    out, styles = [], []
    for r in rows:
        links = []
        if r["superseded_by"]:
            links.append(f"superseded by {r['superseded_by']}")
        if r["supersedes"]:
            links.append("supersedes " + ",".join(map(str, r["supersedes"])))
        if r["conflicts_with"]:
            links.append("conflicts " + ",".join(map(str, r["conflicts_with"])))
        usd = human(r["value_usd"]) + ("–" + human(r["value_usd_max"]) if r["value_usd_max"] else "")
        out.append([r["fact"], r["first_seen"], r["kind"], figure(r), usd, r["subject"] or "",
                    r["metric"] or "", r["period"] or "", r["status"] or "", r["articles"],
                    ",".join(r["langs"]), "; ".join(links)])
        styles.append("" if r["current"] else "dim")     # superseded: still shown, greyed
    show(columns, out, title=f"{len(rows)} fact(s)", styles=styles)


def _summary_table(title: str, columns: list[str], right: set[str]):
    """A report table (crawl or import summary): always rich, on stdout, text escaped."""
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left")
    return table


def _print(table) -> None:
    from rich.console import Console

    Console(soft_wrap=False).print(table)


def write_runs(runs: list[dict]) -> None:
    """The summary `computewatch crawl` ends with: one row per source."""
    from rich.text import Text

    table = _summary_table("crawl summary", ["source", "status", "pages", "new articles", "new claims",
                                             "errors", "skipped", "seconds"],
                           right={"pages", "new articles", "new claims", "errors", "skipped", "seconds"})
    for r in runs:
        style = {"ok": "green", "failed": "red", "interrupted": "yellow"}.get(r["status"], "")
        table.add_row(Text(r["source"]), Text(r["status"], style=style),
                      str(r["pages"]), str(r["new_articles"]), str(r["new_claims"]),
                      str(r["errors"]), str(r["skipped"]), f"{r['seconds']:.1f}")
    _print(table)


def write_imports(report) -> None:
    """The summary `computewatch import` ends with: one row per file."""
    from rich.text import Text

    table = _summary_table(f"import summary: {report.articles} new article(s), {report.claims} claim(s), "
                           f"{report.seconds:.1f} s", ["file", "records", "pages kept", "skipped",
                                                       "errors", "note"],
                           right={"records", "pages kept", "skipped", "errors"})
    for f in report.files:
        note = f.message or ("already imported" if f.already_done else
                             f"resumed at offset {f.resumed_at}" if f.resumed_at else "")
        table.add_row(Text(os.path.basename(f.path)), str(f.records), str(f.kept),
                      str(sum(f.skipped.values())), str(f.errors), Text(note))
    _print(table)


def write_sources(sources) -> None:
    columns = [Column("name", 100), Column("lang", 90), Column("schedule", 80), Column("feeds", 50),
               Column("sitemaps", 50), Column("listings", 50), Column("enabled", 95)]
    show(columns, [[s.name, s.lang, s.schedule_text(), len(s.feeds), len(s.sitemaps),
                    len(s.start_urls), "yes" if s.enabled else "no"] for s in sources],
         title=f"{len(sources)} source(s)")
