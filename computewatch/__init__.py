"""computewatch: what the news says about AI infrastructure spending, as a database of claims."""
__version__ = "0.1.0"

# Kept light: the command line imports this package, so pandas, SQLAlchemy and the rest are
# imported only when open() is called.


def open(url: str | None = None):           # noqa: A001  computewatch.open, as sqlite3.connect
    """An existing database opened read-only; .claims(...) and .facts(...) give DataFrames.

    `url` is a SQLAlchemy URL (sqlite:///path, postgresql://...); None: the database the command
    line uses. Refuses a database that does not exist (storage.db.DatabaseError, one line)."""
    from computewatch.api import Database

    return Database(url)


def __getattr__(name: str):
    # The errors open() and the filters raise, to catch without importing storage first.
    if name == "DatabaseError":
        from storage.db import DatabaseError
        return DatabaseError
    if name == "FilterError":
        from computewatch.filters import FilterError
        return FilterError
    raise AttributeError(f"module 'computewatch' has no attribute {name!r}")
