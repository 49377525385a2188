"""What each field of a claims or facts row holds (storage.queries.CLAIM_ROW_FIELDS,
storage.fact_queries.FACT_FIELDS): read by the DataFrames of computewatch.open(...) and by the
Parquet export, so that both give a column the same type. Every field not named here is text."""
from __future__ import annotations

FLOATS = frozenset({"value", "value_max", "value_usd", "value_usd_max", "h100e"})
INTEGERS = frozenset({"start", "end", "claim", "article", "articles"})
# May be null: a claim not (yet) consolidated into a fact; a fact nothing replaced.
NULLABLE_INTEGERS = frozenset({"fact", "superseded_by"})
BOOLEANS = frozenset({"earlier", "current"})
DATES = frozenset({"published", "reported_on", "first_seen", "last_seen"})
TEXT_LISTS = frozenset({"sources", "langs"})
INTEGER_LISTS = frozenset({"supersedes", "conflicts_with"})
REPORTS = "claims"               # a fact's reports: a list of storage.fact_queries.FACT_CLAIM_FIELDS


def kind(name: str) -> str:
    """float | integer | nullable_integer | boolean | date | text_list | integer_list | reports | text"""
    if name == REPORTS:
        return "reports"
    for kind_, names in (("float", FLOATS), ("integer", INTEGERS), ("nullable_integer", NULLABLE_INTEGERS),
                         ("boolean", BOOLEANS), ("date", DATES), ("text_list", TEXT_LISTS),
                         ("integer_list", INTEGER_LISTS)):
        if name in names:
            return kind_
    return "text"
