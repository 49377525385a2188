"""Facet and total counts, kept until the database changes.

A facet is a GROUP BY over every matching claim (tens of milliseconds each at 100,000 claims,
seven of them a page), while the rows of a page come from an index in a millisecond; and the
numbers only change when a worker stores or reprocesses claims. So they are kept per query and
recomputed once the database's generation (how many claims and facts, the newest of each) moves,
or after MAX_AGE seconds whatever it says.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from sqlalchemy import func, select

MAX_ENTRIES = 512
MAX_AGE = 60.0       # seconds: what the generation cannot see (a fact edited in place) is this stale at most


def generation(session) -> tuple:
    """What changes whenever claims or facts are stored, replaced or removed (reprocessing
    replaces a page's claims: new ids; a merge or split of facts changes their count)."""
    from storage.models import Claim, Fact

    claims = session.execute(select(func.count(Claim.id), func.max(Claim.id))).one()
    facts = session.execute(select(func.count(Fact.id), func.max(Fact.id), func.sum(Fact.articles))).one()
    return tuple(claims) + tuple(facts)


class CountsCache:
    """(what, filter) -> result, valid for one generation; least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()
        self._max = max_entries

    def get(self, session, key, compute):
        gen, now = generation(session), time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == gen and now - hit[2] < MAX_AGE:
                self._entries.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._entries[key] = (gen, value, now)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value
