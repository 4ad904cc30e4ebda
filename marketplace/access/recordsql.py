"""The records API's small, safe query grammar and its DuckDB reader (issue 7 §1).

Grammar (query parameters; every column must be a licensed column of the version):

* ``key=<value>`` (repeatable, ≤ 100): rows whose key column (the policy's identity) is one
  of the values;
* ``filter=<column>:<op>:<value>`` (repeatable, ≤ 20) with ``op`` ``eq`` on any column
  (repeated ``eq`` on one column means IN), ``gt|gte|lt|lte`` on numeric and date/time
  columns; values are parsed in Python by the column's type and bound as parameters;
* ``fields=a,b`` — the columns returned (default: all licensed columns).

Pages follow the Parquet file's row order (``file_row_number``; element files are
content-addressed and never change), so a cursor is the last row number served. DuckDB runs
read-only in-process: one in-memory database per blob root whose only readable directory is
that root (``enable_external_access=false``, configuration locked), a cursor per call.
"""

from __future__ import annotations

import math
import threading
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.errors import ValidationFailed

__all__ = ["MAX_FILTERS", "MAX_KEYS", "Filter", "parse_filters", "read_page", "to_json"]

MAX_KEYS, MAX_FILTERS = 100, 20
OPS = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_INT = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "INT")
_RANGE_KINDS = {"int", "number", "date", "timestamp"}
Filter = tuple[str, str, list[Any]]  # (column, op, values)


def kind(sql_type: str) -> str:
    t = sql_type.strip().upper()
    if t in _INT:
        return "int"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith(("DECIMAL", "NUMERIC")):
        return "number"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    return "text" if t.startswith(("VARCHAR", "TEXT", "STRING")) else "other"


def coerce(text: str, sql_type: str) -> Any:
    """``text`` as a value of the column's type; ValueError if it is not one."""
    k = kind(sql_type)
    if k == "int":
        return int(text)
    if k == "number":
        value = Decimal(text)
        if not value.is_finite():
            raise ValueError(text)
        return value
    if k == "date":
        return date.fromisoformat(text)
    if k == "timestamp":
        return datetime.fromisoformat(text)
    if k == "bool":
        return {"true": True, "false": False}[text]
    if k == "text":
        return text
    raise ValueError("unsupported column type")


def parse_filters(raw: list[str], columns: dict[str, str]) -> list[Filter]:
    """Parsed ``filter`` values; 422 naming the offending one."""
    if len(raw) > MAX_FILTERS:
        raise ValidationFailed(errors={"filter": [f"At most {MAX_FILTERS} filters."]})
    merged: dict[tuple[str, str], list[Any]] = {}
    for i, item in enumerate(raw):
        column, _, rest = item.partition(":")
        op, sep, value = rest.partition(":")
        problem = None
        if not sep or op not in OPS:
            problem = "Use <column>:<eq|gt|gte|lt|lte>:<value>."
        elif column not in columns:
            problem = "Not a licensed column."
        elif op != "eq" and kind(columns[column]) not in _RANGE_KINDS:
            problem = "Range filters need a numeric, date or timestamp column."
        else:
            try:
                merged.setdefault((column, op), []).append(coerce(value, columns[column]))
            except (ValueError, KeyError, InvalidOperation):
                problem = "The value does not match the column's type."
        if problem:
            raise ValidationFailed(errors={"filter": {str(i): [problem]}})
    return [(c, op, values) for (c, op), values in merged.items()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_databases: dict[str, Any] = {}
_db_lock = threading.Lock()


def _cursor(root: str) -> Any:
    import duckdb

    with _db_lock:
        con = _databases.get(root)
        if con is None:
            con = duckdb.connect(":memory:", config={
                "autoinstall_known_extensions": False, "autoload_known_extensions": False,
                "threads": 1})
            con.execute("SET allowed_directories = [?]", [root.rstrip("/") + "/"])
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            _databases[root] = con
        return con.cursor()


def read_page(root: str, path: str, fields: list[str], filters: list[Filter], after: int,
              limit: int) -> tuple[list[tuple[Any, ...]], int | None]:
    """Up to ``limit`` rows after row number ``after``; and the cursor row number if more."""
    where, params = ["file_row_number > ?"], [after]
    for column, op, values in filters:
        if op == "eq" and len(values) > 1:
            where.append(f"{_quote(column)} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        else:
            where.extend(f"{_quote(column)} {OPS[op]} ?" for _ in values)
            params.extend(values)
    select_list = ", ".join(["file_row_number", *(_quote(f) for f in fields)])
    sql = (f"SELECT {select_list} FROM read_parquet(?, file_row_number = true) "  # noqa: S608
           f"WHERE {' AND '.join(where)} ORDER BY file_row_number LIMIT ?")
    cur = _cursor(root)
    try:
        rows = cur.execute(sql, [path, *params, limit + 1]).fetchall()
    finally:
        cur.close()
    more = len(rows) > limit
    rows = rows[:limit]
    return [r[1:] for r in rows], (rows[-1][0] if more and rows else None)


def to_json(value: Any) -> Any:
    """A JSON value for one cell (decimals as strings, instants ISO 8601, no NaN)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return str(value)
