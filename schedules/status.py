"""`computewatch status`: each source's last run, next run, totals and failures.

Sources are those of the sources file (enabled or not) followed by any other name found in
crawl_runs (a source since removed from the file: `configured` false). The next run comes from
the daemon's schedule_state (null when no daemon ever scheduled the source, or while it is running).
"""
from __future__ import annotations

from datetime import datetime

from schedules.jobs import iso

FIELDS = ["source", "configured", "enabled", "schedule", "running", "runs", "failures",
          "consecutive_failures", "failing", "last_status", "last_run_start", "last_run_end",
          "last_pages", "last_new_articles", "last_new_claims", "last_errors", "last_message",
          "next_run", "articles", "claims", "pending", "oldest_pending"]


def collect(database, sources) -> list[dict]:
    """One dict per source (FIELDS), JSON-ready: times are ISO 8601 strings in UTC."""
    from nlp import EXTRACTOR_VERSION
    from storage import queries, queue

    with database.session() as s:
        stats = queries.run_stats(s)
        totals = queries.totals_by_source(s)
        next_runs = queries.scheduled_runs(s)
        waiting = queue.depth_by_source(s, EXTRACTOR_VERSION)
    names = [src.name for src in sources]
    names += sorted(set(stats) - set(names))
    names += sorted(n for n in waiting if n is not None and n not in names)
    by_name = {src.name: src for src in sources}
    rows = []
    for name in names:
        src = by_name.get(name)
        st = stats.get(name, {})
        streak = st.get("consecutive_failures", 0)
        rows.append({
            "source": name,
            "configured": src is not None,
            "enabled": bool(src and src.enabled),
            "schedule": src.schedule_text() if src else None,
            "running": bool(st.get("running")),
            "runs": st.get("runs", 0),
            "failures": st.get("failures", 0),
            "consecutive_failures": streak,
            "failing": streak > 0,
            "last_status": st.get("last_status"),
            "last_run_start": iso(st.get("last_run_start")),
            "last_run_end": iso(st.get("last_run_end")),
            "last_pages": st.get("last_pages"),
            "last_new_articles": st.get("last_new_articles"),
            "last_new_claims": st.get("last_new_claims"),
            "last_errors": st.get("last_errors"),
            "last_message": st.get("last_message"),
            "next_run": iso(next_runs.get(name)),
            "articles": totals.get(name, {}).get("articles", 0),
            "claims": totals.get(name, {}).get("claims", 0),
            # the processing queue: this source's pages waiting for a worker
            "pending": waiting[name].pending if name in waiting else 0,
            "oldest_pending": iso(waiting[name].oldest) if name in waiting else None,
        })
    return rows


def queue_depth(database):
    """The whole processing queue (storage.queue.Depth), pages of every source."""
    from nlp import EXTRACTOR_VERSION
    from storage import queue

    with database.session() as s:
        return queue.depth(s, EXTRACTOR_VERSION)


def queue_line(depth, now: datetime) -> str:
    line = f"queue: {depth.pending} page(s) pending"
    if depth.pending:
        oldest = depth.oldest.replace(tzinfo=now.tzinfo) if depth.oldest else None
        line += f", {depth.leased} being processed" if depth.leased else ""
        line += f", oldest fetched {_span((now - oldest).total_seconds())} ago" if oldest else ""
    return line


def daemon_holder(database) -> str | None:
    from schedules.lock import holder

    try:
        return holder(database)
    except Exception:          # a probe must not make `status` fail
        return None


def table(rows: list[dict], holder: str | None, now: datetime):
    """A rich Table of the rows, with the daemon's state in its title."""
    from rich import box
    from rich.table import Table

    title = f"daemon running ({holder})" if holder else "no daemon running"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col, justify in [("source", "left"), ("schedule", "left"), ("status", "left"),
                         ("last run", "right"), ("pages", "right"), ("+art.", "right"),
                         ("+claims", "right"), ("next run", "right"), ("runs", "right"),
                         ("fail.", "right"), ("articles", "right"), ("claims", "right")]:
        t.add_column(col, justify=justify, no_wrap=col != "source")
    for r in rows:
        status = r["last_status"] or "-"
        if r["running"]:
            status = "running"
        elif r["failing"]:
            status = f"[red]failing ×{r['consecutive_failures']}[/]"
        if not r["configured"]:
            status += " (not configured)"
        elif not r["enabled"]:
            status += " (disabled)"
        t.add_row(r["source"], (r["schedule"] or "-").removeprefix("every "), status,
                  _ago(r["last_run_end"], now), _n(r["last_pages"]), _n(r["last_new_articles"]),
                  _n(r["last_new_claims"]), _until(r["next_run"], now), str(r["runs"]),
                  str(r["failures"]), str(r["articles"]), str(r["claims"]))
    return t


def _n(v) -> str:
    return "-" if v is None else str(v)


def _ago(text: str | None, now: datetime) -> str:
    if not text:
        return "never"
    return f"{_span((now - datetime.fromisoformat(text)).total_seconds())} ago"


def _until(text: str | None, now: datetime) -> str:
    if not text:
        return "-"
    secs = (datetime.fromisoformat(text) - now).total_seconds()
    return f"in {_span(secs)}" if secs >= 0 else "due"


def _span(secs: float) -> str:
    secs = abs(secs)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if secs >= size:
            return f"{secs / size:.1f}{unit}"
    return f"{secs:.0f}s"
