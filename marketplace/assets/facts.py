"""Values and helpers shared by the table readers (tabular.py, csvtable.py).

connect() follows DuckDB's "Securing DuckDB" guide: a fresh in-memory database per file with a
memory limit, a few threads, no spilling to disk, no extension auto-install/auto-load, and
external access switched off except for the one file being read (``allowed_paths`` +
``enable_external_access = false``), then ``lock_configuration`` so queries cannot undo it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from marketplace.errors import ValidationFailed

__all__ = ["Column", "TableFacts", "check_names", "connect", "invalid"]


@dataclass(frozen=True)
class Column:
    """One column: its name as in the file and its DuckDB logical type (e.g. ``BIGINT``)."""

    name: str
    type: str


@dataclass(frozen=True)
class TableFacts:
    columns: tuple[Column, ...]
    row_count: int


def invalid(message: str, line: int | None = None, **extra: object) -> ValidationFailed:
    """A 422 naming the file problem (and its 1-based line when known)."""
    if line is not None:
        extra["line"] = line
    return ValidationFailed(message, errors={"file": [message]}, **extra)


def connect(path: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """A locked-down in-memory DuckDB that can read ``path`` and nothing else."""
    con = duckdb.connect(":memory:", config={
        "memory_limit": memory_limit, "threads": threads, "temp_directory": "",
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    })
    con.execute("SET allowed_paths = ?", [[str(path)]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def check_names(names: Iterable[str]) -> None:
    """Column names must be non-blank and distinct ignoring case (DuckDB identifiers)."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if not name.strip():
            raise invalid(f"Column {index} has an empty name.", line=1)
        first = seen.setdefault(name.casefold(), index)
        if first != index:
            raise invalid(f"Column name {name!r} is used twice (columns {first} and {index}).",
                          line=1)


