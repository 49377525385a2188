"""`computewatch export claims|facts`: the rows of `claims`/`facts` to a CSV, JSON-lines or
Parquet file.

Streamed: rows come from the storage queries a chunk at a time and go out as they come, so
memory stays flat however many claims match. Atomic: the rows go to a temporary file beside
the output, renamed onto it only once complete, so a failed export leaves no half file.
CSV and JSON lines are byte for byte what `claims --format csv|jsonl` prints; Parquet has the
same columns, typed (computewatch.columns), a fact's reports as a list of structs.
"""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

from computewatch import columns

FORMATS = ("csv", "jsonl", "parquet")
PARQUET_BATCH = 10_000            # rows a Parquet row group holds (and memory holds at once)
PYARROW_MISSING = "--format parquet needs pyarrow: pip install 'computewatch[parquet]'"


class ExportError(Exception):
    """The export cannot be written (format, output path, disk): one line naming the file."""


def format_of(output: str, fmt: str | None) -> str:
    """--format if given, else the output's extension."""
    if fmt:
        return fmt
    ext = Path(output).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    raise ExportError(f"{output}: no --format given and no .csv, .jsonl or .parquet extension")


def export(url: str, table: str, fmt: str, output: str, filter_values: dict) -> int:
    """Write the `table` ("claims" or "facts") rows that `filter_values` (the values of
    computewatch.filters' options) select to `output` in `fmt`; returns how many were written."""
    if fmt == "parquet":
        _pyarrow()                   # before any file or database is opened
    from storage.db import open_readonly

    tmp = _temporary_beside(output)  # a bad path fails here, before the database is opened
    try:
        database = open_readonly(url)
        try:
            with database.session() as s:
                rows, fields, flat = _rows(s, table, filter_values)
                written = _WRITERS[fmt](rows, fields, flat, tmp)
        finally:
            database.dispose()
        _publish(tmp, output)
    except OSError as e:
        _remove(tmp)
        raise ExportError(f"{output}: cannot write: {e.strerror or e}") from None
    except BaseException:
        _remove(tmp)
        raise
    return written


def _rows(session, table: str, values: dict):
    """(rows streamed, fields, their CSV form) of `claims` or `facts` for these filter values."""
    from computewatch import filters

    if table == "claims":
        from storage import queries

        return (queries.iter_claims(session, filters.claim_filter(session, values)),
                queries.CLAIM_ROW_FIELDS, None)
    from storage import fact_queries

    return (fact_queries.iter_facts(session, filters.fact_filter(session, values)),
            fact_queries.FACT_FIELDS, fact_queries.flat)


# --------------------------------------------------------------------------- the file

def _temporary_beside(output: str) -> str:
    """A new empty file in the output's directory (so the final rename stays on one file
    system), hidden by its leading dot."""
    target = Path(output)
    if target.is_dir():
        raise ExportError(f"{output}: is a directory")
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"{output}: cannot write: no such directory {str(folder)!r}")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as e:
        raise ExportError(f"{output}: cannot write: {e.strerror or e}") from None
    os.close(fd)
    return tmp


def _publish(tmp: str, output: str) -> None:
    """The complete file, on disk, given the output's name (and the mode a new file would get)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)                 # the rows reach the disk before the name does
    finally:
        os.close(fd)
    try:
        mode = os.stat(output).st_mode & 0o7777       # replacing a file keeps its mode
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask                         # mkstemp made it 0600
    os.chmod(tmp, mode)
    os.replace(tmp, output)


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------- the formats

class _Counted:
    """Rows passed through, counted."""

    def __init__(self, rows: Iterable[dict]):
        self.rows, self.n = rows, 0

    def __iter__(self) -> Iterator[dict]:
        for row in self.rows:
            self.n += 1
            yield row


def _write_jsonl(rows, fields, flat, path: str) -> int:
    from computewatch.output import write_jsonl

    counted = _Counted(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        write_jsonl(counted, out=f)
    return counted.n


def _write_csv(rows, fields, flat, path: str) -> int:
    from computewatch.output import write_csv

    counted = _Counted(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        write_csv(map(flat, counted) if flat else counted, fields, out=f)
    return counted.n


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ExportError(PYARROW_MISSING) from None
    return pyarrow


def _arrow_type(pa, name: str):
    from storage.fact_queries import FACT_CLAIM_FIELDS

    kind = columns.kind(name)
    if kind == "reports":
        return pa.list_(pa.struct([pa.field(f, _arrow_type(pa, f)) for f in FACT_CLAIM_FIELDS]))
    return {"float": pa.float64(), "integer": pa.int64(), "nullable_integer": pa.int64(),
            "boolean": pa.bool_(), "date": pa.date32(), "text_list": pa.list_(pa.string()),
            "integer_list": pa.list_(pa.int64())}.get(kind, pa.string())


def _dated(row: dict) -> dict:
    """The row with its ISO dates as dates (Parquet's date type), a fact's reports' too."""
    out = dict(row)
    for k in columns.DATES:
        if out.get(k):
            out[k] = date.fromisoformat(out[k])
    if isinstance(out.get(columns.REPORTS), list):
        out[columns.REPORTS] = [_dated(c) for c in out[columns.REPORTS]]
    return out


def _write_parquet(rows, fields, flat, path: str) -> int:
    pa = _pyarrow()
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(f, _arrow_type(pa, f)) for f in fields])
    n, batch = 0, []
    with pq.ParquetWriter(path, schema) as writer:
        for row in rows:
            batch.append(_dated(row))
            if len(batch) == PARQUET_BATCH:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n, batch = n + len(batch), []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


_WRITERS = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _write_parquet}
