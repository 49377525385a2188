"""How long a failing source waits before its next run: pure functions, no scheduler, no I/O.

A source whose last runs failed is retried after its interval doubled for each failure after the
first, capped:

    failures 0 or 1 -> interval      (one failure may be a blip: keep the schedule)
    failures n >= 2 -> interval * 2**(n-1), at most cap(interval)

    cap(interval) = max(interval, min(32 * interval, MAX_BACKOFF))

so a 6-hour source backs off to at most 24 hours, a 15-minute one to 8 hours, a 3-second test
source to 96 seconds; a daily source is never pushed further than its own interval. The first
successful run puts the source back on its ordinary schedule.
"""
from __future__ import annotations

# The failure-streak rule is the runs table's: schedules and `status` read it alike.
from storage.runs import FAILED_STATUSES as FAILED, consecutive_failures  # noqa: F401

MAX_BACKOFF = 24 * 3600.0     # seconds: the longest a failing source is left alone
MAX_FACTOR = 32               # ... and never more than this many intervals


def cap(interval: float) -> float:
    return max(interval, min(interval * MAX_FACTOR, MAX_BACKOFF))


def delay(failures: int, interval: float) -> float:
    """Seconds from now to the next run of a source whose last `failures` runs failed in a row."""
    if interval <= 0:
        raise ValueError(f"interval must be positive, not {interval!r}")
    if failures <= 1:
        return interval
    # 2**(failures-1) grows without bound: compare exponents, not products, to stay finite.
    if failures - 1 >= 64:
        return cap(interval)
    return min(interval * 2 ** (failures - 1), cap(interval))
