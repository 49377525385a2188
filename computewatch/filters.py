"""The filters of `claims` and `facts`, declared once as data: the options of those commands and
of `export claims|facts`, and the keyword arguments of computewatch.open(...).claims()/facts().

Each filter reads its text the same way everywhere (one parse function, one error message), and
turns into the storage query's filter (storage.queries.ClaimFilter, storage.fact_queries.FactFilter)
in one place.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from nlp.types import CLAIM_KINDS

STATUSES = ("actual", "planned", "estimate")
LANGS = ("en", "zh")
CLAIM_SORTS = ("reported_on", "value")
FACT_SORTS = ("first_seen", "value_usd", "articles")
MAX_LIMIT = 10 ** 9        # --limit: beyond any table, inside a 64-bit SQL integer
MAX_SUBJECT_CHARS = 200    # --subject: the entity_aliases.alias column


class FilterError(ValueError):
    """A filter value that cannot be used; the message names it and says what is expected."""


# --------------------------------------------------------------------------- reading values

def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise FilterError(f"not a whole number: {text[:40]!r}") from None
    if n <= 0:
        raise FilterError(f"must be at least 1: {text[:40]}")
    return n


def limit(text: str) -> int:
    n = positive_int(text)
    if n > MAX_LIMIT:
        raise FilterError(f"at most {MAX_LIMIT}: {text[:40]}{'...' if len(text) > 40 else ''}")
    return n


def subject(text: str) -> str:
    if len(text) > MAX_SUBJECT_CHARS:
        raise FilterError(f"{len(text)} characters long; at most {MAX_SUBJECT_CHARS}: {text[:40]!r}...")
    if not text.strip():
        raise FilterError("empty")
    return text


def day(text: str) -> date:
    from computewatch.params import BadValue, day as parse_day

    try:
        return parse_day(text)
    except BadValue as e:
        raise FilterError(str(e)) from None


# --------------------------------------------------------------------------- the filters

@dataclass(frozen=True)
class Option:
    name: str                                   # keyword argument; the flag is --name-with-dashes
    help: str
    many: bool = False                          # repeatable (a list)
    choices: tuple[str, ...] | None = None
    parse: Callable[[str], Any] | None = None   # text -> value, raising FilterError
    metavar: str | None = None
    default: Any = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


CLAIM_OPTIONS = (
    Option("subject", "organisation, by any alias (repeatable)", many=True, parse=subject, metavar="X"),
    Option("kind", "repeatable", many=True, choices=CLAIM_KINDS),
    Option("lang", "", choices=LANGS),
    Option("since", "reported on or after (YYYY-MM-DD or 30d, 2w, 6m, 1y)", parse=day, metavar="DATE"),
    Option("until", "reported on or before", parse=day, metavar="DATE"),
    Option("source", "repeatable", many=True, metavar="NAME"),
    Option("sort", "newest report first, or largest figure first (money in US dollars)",
           choices=CLAIM_SORTS, default="reported_on"),
    Option("min_value", "at least V (money: in US dollars)", parse=float, metavar="V"),
    Option("limit", "", parse=limit, metavar="N"),
    Option("fact", "only the reports of this fact", parse=int, metavar="ID"),
    Option("metric", "", metavar="M"),
    Option("period", "2025, FY2025, 2025Q2, 2025-2027, 'by 2027-12'", metavar="P"),
    Option("status", "", choices=STATUSES),
    Option("currency", "", metavar="ISO"),
)

FACT_OPTIONS = (
    Option("subject", "organisation, by any alias (repeatable)", many=True, metavar="X"),
    Option("kind", "repeatable", many=True, choices=CLAIM_KINDS),
    Option("metric", "", metavar="M"),
    Option("period", "", metavar="P"),
    Option("status", "", choices=STATUSES),
    Option("lang", "reported in this language", choices=LANGS),
    Option("since", "last reported on or after", parse=day, metavar="YYYY-MM-DD"),
    Option("until", "first reported on or before", parse=day, metavar="YYYY-MM-DD"),
    Option("min_articles", "", parse=positive_int, metavar="N"),
    Option("sort", "", choices=FACT_SORTS, default="first_seen"),
    Option("limit", "", parse=positive_int, metavar="N"),
)


def argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` as argparse wants it: its message as the error, not 'invalid value'."""
    def read(text: str):
        try:
            return parse(text)
        except FilterError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    read.__name__ = parse.__name__      # argparse names the type in its own messages
    return read


def add_options(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    """The filters as command-line options (`claims`, `facts`, `export claims|facts`)."""
    for o in options:
        kw: dict = {"help": o.help or None, "default": o.default}
        if o.many:
            kw["action"] = "append"
        if o.choices:
            kw["choices"] = list(o.choices)
        if o.parse in (int, float):      # argparse's own reading and message
            kw["type"] = o.parse
        elif o.parse:
            kw["type"] = argparse_type(o.parse)
        if o.metavar:
            kw["metavar"] = o.metavar
        parser.add_argument(o.flag, **kw)


def from_keywords(options: tuple[Option, ...], given: dict, what: str) -> dict:
    """Keyword arguments of the Python API, read as the command line reads its options: one
    value or a list for a repeatable filter; dates as date, datetime or text ('2025-01-01', '30d').
    Raises TypeError for an unknown name, FilterError naming the filter for a bad value."""
    by_name = {o.name: o for o in options}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {unknown[0]!r} "
                        f"(filters: {', '.join(by_name)})")
    out = {}
    for o in options:
        value = given.get(o.name)
        if value is None:
            out[o.name] = o.default
            continue
        values = [value] if isinstance(value, (str, date)) or not o.many else list(value)
        if not o.many and isinstance(value, (list, tuple, set)):
            raise FilterError(f"{o.name}: one value, not a list")
        read = [_one(o, v) for v in values]
        out[o.name] = (read or None) if o.many else read[0]
    return out


def _one(o: Option, value: Any) -> Any:
    if isinstance(value, datetime):      # a datetime (pandas Timestamp too) is its day
        value = value.date()
    text = value.isoformat() if isinstance(value, date) else str(value)
    if o.choices and text not in o.choices:
        raise FilterError(f"{o.name}: {text!r} is not one of {', '.join(o.choices)}")
    if o.parse is None:
        return text
    try:
        return o.parse(text)
    except FilterError as e:
        raise FilterError(f"{o.name}: {e}") from None
    except ValueError:                   # int() or float()
        what = "a whole number" if o.parse is int else "a number"
        raise FilterError(f"{o.name}: not {what}: {text[:40]!r}") from None


# --------------------------------------------------------------------------- to storage queries

def _subjects(session, names: list[str] | None) -> list[str] | None:
    """Canonical names for an analyst's spellings: 'Facebook' and '小扎' are Meta."""
    from storage import entities

    if not names:
        return None
    return sorted({canonical for x in names for canonical in entities.resolve(session, x)})


def claim_filter(session, v: dict):
    """storage.queries.ClaimFilter from the values of CLAIM_OPTIONS (argparse's or from_keywords')."""
    from storage.queries import ClaimFilter

    return ClaimFilter(
        subjects=_subjects(session, v["subject"]), kinds=v["kind"], lang=v["lang"], since=v["since"],
        until=v["until"], sources=v["source"], min_value=v["min_value"], limit=v["limit"],
        fact=v["fact"], sort=v["sort"], metric=v["metric"], period=v["period"], status=v["status"],
        currency=v["currency"])


def fact_filter(session, v: dict):
    """storage.fact_queries.FactFilter from the values of FACT_OPTIONS."""
    from storage.fact_queries import FactFilter

    return FactFilter(
        subjects=_subjects(session, v["subject"]), kinds=v["kind"], metric=v["metric"],
        period=v["period"], status=v["status"], lang=v["lang"], since=v["since"], until=v["until"],
        min_articles=v["min_articles"], sort=v["sort"], limit=v["limit"])
