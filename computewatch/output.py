"""Claims out: JSON lines, CSV or a rich table. Shared by `extract` and `claims`."""
from __future__ import annotations

import csv
import json
import os
import sys
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


def write_table(rows: list[dict], title: str | None = None, extra: list[str] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("kind", style="cyan", no_wrap=True)
    table.add_column("figure", justify="right", style="bold", no_wrap=True)
    table.add_column("subject", style="green")
    table.add_column("metric")
    for col in extra:
        table.add_column(col)
    table.add_column("mention", overflow="fold")
    for r in rows:
        table.add_row(r["kind"], figure(r), r.get("subject") or "", r.get("metric") or "",
                      *[str(r.get(c) or "") for c in extra], r.get("text") or "")
    Console(soft_wrap=False).print(table)


def write_claims_table(rows: list[dict]) -> None:
    """Stored claims with where they were reported (`computewatch claims`)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} claim(s)", show_lines=False)
    table.add_column("reported", no_wrap=True)
    table.add_column("kind", style="cyan", no_wrap=True)
    table.add_column("figure", justify="right", style="bold", no_wrap=True)
    table.add_column("subject", style="green")
    table.add_column("metric")
    table.add_column("source")
    table.add_column("sentence / url", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(r.get("published") or r.get("reported_on") or "", r["kind"], figure(r),
                      r.get("subject") or "", r.get("metric") or "", r.get("source") or "",
                      f"{r.get('sentence') or ''}\n[dim]{r.get('url') or ''}[/]")
    Console(soft_wrap=False).print(table)


def write_facts_table(rows: list[dict]) -> None:
    """Facts, each once, with how widely reported and its links (`computewatch facts`)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} fact(s)", show_lines=False)
    for col in ("fact", "first seen", "kind", "figure", "USD", "subject", "metric", "period", "status",
                "articles", "langs", "links"):
        table.add_column(col, justify="right" if col in ("fact", "figure", "USD", "articles") else "left",
                         no_wrap=col not in ("links",))
    for r in rows:
        links = []
        if r["superseded_by"]:
            links.append(f"superseded by {r['superseded_by']}")
        if r["supersedes"]:
            links.append("supersedes " + ",".join(map(str, r["supersedes"])))
        if r["conflicts_with"]:
            links.append("conflicts " + ",".join(map(str, r["conflicts_with"])))
        usd = human(r["value_usd"]) + ("–" + human(r["value_usd_max"]) if r["value_usd_max"] else "")
        style = "" if r["current"] else "[dim]"
        table.add_row(f"{style}{r['fact']}", r["first_seen"], r["kind"], f"{style}{figure(r)}", usd,
                      r["subject"] or "", r["metric"] or "", r["period"] or "", r["status"] or "",
                      str(r["articles"]), ",".join(r["langs"]), "; ".join(links))
    Console(soft_wrap=False).print(table)


def write_runs(runs: list[dict]) -> None:
    """The summary `computewatch crawl` ends with: one row per source."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl summary")
    for col in ("source", "status", "pages", "new articles", "new claims", "errors", "skipped", "seconds"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for r in runs:
        style = {"ok": "green", "failed": "red", "interrupted": "yellow"}.get(r["status"], "")
        table.add_row(r["source"], f"[{style}]{r['status']}[/]" if style else r["status"],
                      str(r["pages"]), str(r["new_articles"]), str(r["new_claims"]),
                      str(r["errors"]), str(r["skipped"]), f"{r['seconds']:.1f}")
    Console(soft_wrap=False).print(table)


def write_imports(report) -> None:
    """The summary `computewatch import` ends with: one row per file."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"import summary: {report.articles} new article(s), {report.claims} claim(s), "
                        f"{report.seconds:.1f} s")
    for col in ("file", "records", "pages kept", "skipped", "errors", "note"):
        table.add_column(col, justify="left" if col in ("file", "note") else "right")
    for f in report.files:
        note = f.message or ("already imported" if f.already_done else
                             f"resumed at offset {f.resumed_at}" if f.resumed_at else "")
        table.add_row(os.path.basename(f.path), str(f.records), str(f.kept), str(sum(f.skipped.values())),
                      str(f.errors), note)
    Console(soft_wrap=False).print(table)


def write_sources(sources) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(sources)} source(s)")
    for col in ("name", "lang", "schedule", "feeds", "sitemaps", "listings", "enabled"):
        table.add_column(col)
    for s in sources:
        table.add_row(s.name, s.lang, s.schedule_text(), str(len(s.feeds)), str(len(s.sitemaps)),
                      str(len(s.start_urls)), "yes" if s.enabled else "no")
    Console(soft_wrap=False).print(table)
