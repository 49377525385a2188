"""Query parameters of the web app, read strictly: a bad one is a 400 that names it."""
from __future__ import annotations

import math

from computewatch import params as shared

MAX_TEXT = 200


class BadParam(ValueError):
    def __init__(self, name: str, why: str):
        super().__init__(f"bad parameter {name!r}: {why}")
        self.name = name


class NotFound(LookupError):
    pass


def _values(request, name: str) -> list[str]:
    out = [v.strip() for v in request.query_params.getlist(name) if v.strip()]
    for v in out:
        if len(v) > MAX_TEXT:
            raise BadParam(name, f"longer than {MAX_TEXT} characters")
    return out


def one(request, name: str, choices=None) -> str | None:
    vals = _values(request, name)
    if len(vals) > 1:
        raise BadParam(name, "given more than once")
    if vals and choices is not None and vals[0] not in choices:
        raise BadParam(name, f"{vals[0]!r} is not one of {', '.join(choices)}")
    return vals[0] if vals else None


def many(request, name: str, choices=None) -> list[str] | None:
    vals = _values(request, name)
    for v in vals:
        if choices is not None and v not in choices:
            raise BadParam(name, f"{v!r} is not one of {', '.join(choices)}")
    return vals or None


def day(request, name: str):
    v = one(request, name)
    if v is None:
        return None
    try:
        return shared.day(v)
    except shared.BadValue as e:
        raise BadParam(name, str(e)) from None


def integer(request, name: str, lo: int = 1, hi: int = 10 ** 9, default: int | None = None) -> int | None:
    v = one(request, name)
    if v is None:
        return default
    try:
        n = int(v)
    except ValueError:
        raise BadParam(name, f"not a whole number: {v!r}") from None
    if not lo <= n <= hi:
        raise BadParam(name, f"must be between {lo} and {hi}")
    return n


def number(request, name: str) -> float | None:
    v = one(request, name)
    if v is None:
        return None
    try:
        x = float(v)
    except ValueError:
        raise BadParam(name, f"not a number: {v!r}") from None
    if not math.isfinite(x):
        raise BadParam(name, "not a finite number")
    return x
