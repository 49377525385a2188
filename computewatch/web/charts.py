"""Charts drawn on the server as SVG (matplotlib): nothing for the browser to fetch."""
from __future__ import annotations

import io
from datetime import date

import threading

# matplotlib's global state (rcParams, font cache) is not thread-safe, and the app serves
# requests from a thread pool: one chart at a time.
_LOCK = threading.Lock()

AXIS = {"money": "US dollars", "gpu_count": "chips", "power": "watts"}


def warm_up() -> None:
    """Load matplotlib (and let it build its font cache, seconds on a new machine) in the
    background at start, so the first chart a user asks for comes as fast as the others."""
    threading.Thread(target=lambda: timeline([], "money"), name="charts-warm-up", daemon=True).start()


def timeline(facts: list[dict], kind: str) -> str:
    """A subject's facts of one kind: figure against first-seen date, one colour per metric."""
    with _LOCK:
        return _timeline(facts, kind)


def _timeline(facts: list[dict], kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"       # text stays text (selectable, searchable)
    matplotlib.rcParams["svg.hashsalt"] = "computewatch"   # the same chart gives the same bytes
    fig = Figure(figsize=(7.5, 3.2), dpi=100)
    ax = fig.add_subplot()
    series: dict[str, list[tuple[date, float]]] = {}
    for f in facts:
        y = f["value_usd"] if kind == "money" else f["value"]
        if y:
            series.setdefault(f["metric"] or "other", []).append((date.fromisoformat(f["first_seen"]), y))
    for metric, points in sorted(series.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linestyle="-",
                linewidth=1, label=metric)
    if series:
        ax.set_yscale("log")
        ax.legend(loc="best", fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no figures", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel(AXIS.get(kind, kind))
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]                      # inline: no XML prolog or doctype
