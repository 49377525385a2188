"""The Python API: `computewatch.open(url)` gives the stored claims and facts as pandas DataFrames.

    import computewatch
    with computewatch.open("sqlite:///computewatch.db") as db:
        money = db.claims(kind="money", since="2025-01-01")
        meta = db.facts(subject="Meta")

The filters are those of `computewatch claims` and `computewatch facts` (computewatch.filters),
the rows those of their `--format jsonl` output (the same storage queries), with the dates as
datetimes. The database is opened read-only: nothing a notebook does can change it.
"""
from __future__ import annotations

from computewatch import columns

PANDAS_MISSING = "computewatch.open() needs pandas: pip install 'computewatch[pandas]'"


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError(PANDAS_MISSING) from None
    return pandas


class Database:
    """An existing computewatch database (SQLite or PostgreSQL), opened read-only."""

    def __init__(self, url: str | None = None):
        _pandas()                        # say what to install before anything is opened
        from computewatch import settings
        from storage.db import describe, open_readonly

        # No URL: the database the command line would use ($COMPUTEWATCH_DB, config, default file).
        self.url = url or settings.load().db
        self._described = describe(self.url)
        self._database = open_readonly(self.url)
        self._closed = False

    def claims(self, **filters):
        """Claims as a DataFrame, one row a claim (the `claims --format jsonl` fields), newest
        report first; filters as `computewatch claims`: subject, kind, lang, since, until, source,
        sort, min_value, limit, fact, metric, period, status, currency. A repeatable filter takes
        one value or a list; dates take 'YYYY-MM-DD', '30d'-style spans, dates or datetimes."""
        from computewatch import filters as F
        from storage.queries import CLAIM_ROW_FIELDS, iter_claims

        values = F.from_keywords(F.CLAIM_OPTIONS, filters, "claims")
        with self._session() as s:
            rows = list(iter_claims(s, F.claim_filter(s, values)))
        return _frame(rows, CLAIM_ROW_FIELDS)

    def facts(self, **filters):
        """Facts as a DataFrame, one row a fact (the `facts --format jsonl` fields: `claims` holds
        each fact's reports as a list of dicts); filters as `computewatch facts`: subject, kind,
        metric, period, status, lang, since, until, min_articles, sort, limit."""
        from computewatch import filters as F
        from storage.fact_queries import FACT_FIELDS, iter_facts

        values = F.from_keywords(F.FACT_OPTIONS, filters, "facts")
        with self._session() as s:
            rows = list(iter_facts(s, F.fact_filter(s, values)))
        return _frame(rows, FACT_FIELDS)

    def _session(self):
        if self._closed:
            raise ValueError(f"{self._described}: this computewatch database is closed")
        return self._database.session()

    def close(self) -> None:
        if not self._closed:
            self._database.dispose()
            self._closed = True

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<computewatch.Database {self._described}{' (closed)' if self._closed else ''}>"


def _frame(rows: list[dict], fields: list[str]):
    """The rows as a DataFrame with a type for each column (computewatch.columns), even when
    there is no row: numbers stay numbers, ids stay whole, dates become datetimes."""
    pd = _pandas()
    df = pd.DataFrame.from_records(rows, columns=fields)
    for name in fields:
        kind = columns.kind(name)
        if kind == "float":
            df[name] = df[name].astype("float64")
        elif kind == "integer":
            df[name] = df[name].astype("int64")
        elif kind == "nullable_integer":
            df[name] = df[name].astype("Int64")
        elif kind == "boolean":
            df[name] = df[name].astype("bool")
        elif kind == "date":
            df[name] = pd.to_datetime(df[name], format="%Y-%m-%d")
    return df
