"""Schema and row count of a stored table file, read with DuckDB.

Each call opens a fresh, locked-down in-memory DuckDB (facts.connect). Engine messages never
leave this package: they may contain internal paths, so only a line number is kept.

JSON Lines: ``read_json(format='newline_delimited', records=true, sample_size=-1)``, i.e. the
schema is the union of all records, not of a sample. Parquet: ``read_parquet``. CSV: csvtable.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from marketplace.assets.csvtable import inspect_csv
from marketplace.assets.facts import Column, TableFacts, check_names, connect, invalid

__all__ = ["Column", "TableFacts", "inspect_table"]


def inspect_table(path: Path, fmt: str, *, memory_limit: str, threads: int) -> TableFacts:
    """Columns and row count of ``path`` in ``fmt``; ValidationFailed (422) if unreadable."""
    readers = {"csv": inspect_csv, "jsonl": _inspect_jsonl, "parquet": _inspect_parquet}
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r}")
    with connect(path, memory_limit, threads) as con:
        try:
            facts = readers[fmt](path, con)
        except duckdb.OutOfMemoryException:
            raise invalid("The file could not be checked within the upload memory limit "
                          "(a line or record is too large).") from None
    if facts.row_count == 0:
        raise invalid("The file has no data rows.")
    return facts


def _describe(con: duckdb.DuckDBPyConnection, queries: tuple[str, str], path: Path) -> TableFacts:
    describe, count = queries
    columns = tuple(Column(row[0], row[1])
                    for row in con.execute(describe, [str(path)]).fetchall())
    (rows,) = con.execute(count, [str(path)]).fetchone() or (0,)
    return TableFacts(columns, int(rows))


def _inspect_parquet(path: Path, con: duckdb.DuckDBPyConnection) -> TableFacts:
    try:
        facts = _describe(con, _PARQUET, path)
    except (duckdb.InvalidInputException, duckdb.IOException):
        raise invalid("The file is not a valid Parquet file.") from None
    check_names(c.name for c in facts.columns)
    return facts


_PARQUET = ("DESCRIBE SELECT * FROM read_parquet(?)", "SELECT count(*) FROM read_parquet(?)")
_JSONL = tuple(f"{verb} read_json(?, format='newline_delimited', records=true, sample_size=-1)"
               for verb in ("DESCRIBE SELECT * FROM", "SELECT count(*) FROM"))
_RENAMED = re.compile(r"(.+)_\d+")


def _inspect_jsonl(path: Path, con: duckdb.DuckDBPyConnection) -> TableFacts:
    try:
        facts = _describe(con, _JSONL, path)
    except (duckdb.InvalidInputException, duckdb.BinderException,
            duckdb.ConversionException):
        _diagnose_jsonl(path)
        raise invalid("The file could not be read as JSON Lines.") from None
    names = [c.name for c in facts.columns]
    folded = {name.casefold() for name in names}
    if any((m := _RENAMED.fullmatch(n)) and m[1].casefold() in folded for n in names):
        _diagnose_jsonl(path)  # DuckDB renames keys that differ only in case: find the line
    check_names(names)
    return facts


def _reject_constant(token: str) -> object:
    raise ValueError(f"{token} is not JSON")


def _diagnose_jsonl(path: Path) -> None:
    """Find the first bad line exactly (slow path, run only after DuckDB refused the file)."""
    spelling: dict[str, str] = {}
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw, parse_constant=_reject_constant)
            except ValueError:
                raise invalid(f"Line {number} is not valid JSON.", line=number) from None
            if not isinstance(value, dict):
                raise invalid(f"Line {number} is not a JSON object.", line=number)
            for key in value:
                if not key.strip():
                    raise invalid(f"Line {number} has an empty key.", line=number)
                first = spelling.setdefault(key.casefold(), key)
                if first != key:
                    raise invalid(f"Line {number}: key {key!r} differs from {first!r} only in "
                                  "letter case.", line=number)
