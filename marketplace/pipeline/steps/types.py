"""DuckDB logical types as the validator sees them, and the schema it carries step by step.

Types are DuckDB's own spellings as ``DESCRIBE`` reports them (``BIGINT``, ``DECIMAL(18,3)``,
``TIMESTAMP WITH TIME ZONE``, ``VARCHAR[]`` …; DuckDB docs, "Data Types").  :func:`kind` sorts
them into the families the step rules need; :func:`literal` turns a JSON value into a typed
SQL literal for a column (never by string concatenation: sqlglot builds the expression).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from marketplace.assets.facts import Column

from .reader import SpecError, array, integer

__all__ = ["CAST_TYPES", "Column", "Schema", "cast_type", "datatype", "decimal_scale", "kind",
           "literal"]

_INT_BITS = {"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64, "HUGEINT": 128}
INT_RANGES = {
    **{t: (-(2 ** (b - 1)), 2 ** (b - 1) - 1) for t, b in _INT_BITS.items()},
    **{"U" + t: (0, 2**b - 1) for t, b in _INT_BITS.items()},
}
CAST_TYPES = ("BOOLEAN", "SMALLINT", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE",
              "TIMESTAMP", "DECIMAL(p,s)")
_DECIMAL = re.compile(r"DECIMAL\((\d{1,2}),\s*(\d{1,2})\)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}"
                            r"(?:\.[0-9]{1,6})?)?)?")
_OFFSET = re.compile(r"(.*?)(?:Z|[+-][0-9]{2}:?[0-9]{2})")
_ORDERED = ("integer", "float", "decimal", "text", "date", "timestamp", "time", "boolean")


def kind(type_: str) -> str:
    """``integer``, ``float``, ``decimal``, ``text``, ``date``, ``timestamp``, ``time``,
    ``boolean``, ``blob``, ``uuid``, ``interval``, or ``nested`` (lists, structs, maps …)."""
    t = type_.upper()
    if t in INT_RANGES:
        return "integer"
    if t in ("FLOAT", "DOUBLE"):
        return "float"
    if t.startswith("DECIMAL"):
        return "decimal"
    simple = {"VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean", "BLOB": "blob",
              "UUID": "uuid", "INTERVAL": "interval"}
    if t in simple:
        return simple[t]
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t.startswith("TIME"):
        return "time"
    return "nested"


def orderable(type_: str) -> bool:
    return kind(type_) in _ORDERED


def decimal_scale(type_: str) -> int:
    m = _DECIMAL.fullmatch(type_.upper())
    return int(m[2]) if m else 0


def datatype(type_: str) -> exp.DataType:
    return exp.DataType.build(type_, dialect="duckdb")


def cast_type(value: object, path: str) -> str:
    """A cast target: one of :data:`CAST_TYPES`, in DuckDB's spelling."""
    if isinstance(value, str):
        t = value.strip().upper()
        if t in CAST_TYPES[:-1]:
            return t
        if m := _DECIMAL.fullmatch(t):
            p, s = int(m[1]), int(m[2])
            if 1 <= p <= 38 and 0 <= s <= p:
                return f"DECIMAL({p},{s})"
    raise SpecError(path, f"Must be one of: {', '.join(CAST_TYPES)} (1 <= p <= 38, s <= p).")


def literal(value: object, type_: str, path: str, *, assign: bool = False) -> exp.Expression:
    """A JSON value as a SQL literal comparable with a ``type_`` column (``assign``: storable
    in one, so an integer column takes only integers)."""
    family = kind(type_)
    if family in ("integer", "float", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(path, f"Must be a number for a {type_} column.")
        if family == "integer" and assign and not isinstance(value, int):
            raise SpecError(path, f"Must be an integer for a {type_} column.")
        if family == "integer" and isinstance(value, int):
            lo, hi = INT_RANGES[type_.upper()]
            integer(value, path, max(lo, -(2**53 - 1)), min(hi, 2**53 - 1))
        return exp.Literal.number(format(Decimal(repr(value)), "f"))
    if family == "boolean":
        if not isinstance(value, bool):
            raise SpecError(path, "Must be true or false for a BOOLEAN column.")
        return exp.Boolean(this=value)
    if not isinstance(value, str) or len(value) > 10_000:
        raise SpecError(path, f"Must be a string for a {type_} column.")
    if family == "text":
        return exp.Literal.string(value)
    if family not in ("date", "timestamp"):
        raise SpecError(path, f"Values of a {type_} column cannot be compared.")
    try:
        local = value
        if "TIME ZONE" in type_.upper() and (m := _OFFSET.fullmatch(value)):
            local = m[1]  # only a TIMESTAMP WITH TIME ZONE literal may carry an offset
        if not (_ISO_DATE if family == "date" else _ISO_TIMESTAMP).fullmatch(local):
            raise ValueError(value)
        dt.datetime.fromisoformat(value)
    except ValueError:
        example = "2024-03-05" if family == "date" else "2024-03-05 08:30:00"
        raise SpecError(path, f"Must be an ISO 8601 {family} such as {example!r} for a "
                              f"{type_} column.") from None
    return exp.Cast(this=exp.Literal.string(value), to=datatype(type_))


def literals(value: object, type_: str, path: str, max_len: int = 1000) -> list[exp.Expression]:
    return [literal(v, type_, f"{path}.{i}")
            for i, v in enumerate(array(value, path, max_len=max_len))]


@dataclass(frozen=True)
class Schema:
    """The ordered columns of a table between two steps."""

    columns: tuple[Column, ...]

    @staticmethod
    def of(pairs: object) -> Schema:
        cols = []
        for c in pairs:  # type: ignore[attr-defined]
            if isinstance(c, Column):
                cols.append(c)
            elif isinstance(c, dict):
                cols.append(Column(str(c["name"]), str(c["type"])))
            else:
                cols.append(Column(str(c[0]), str(c[1])))
        return Schema(tuple(cols))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def type_of(self, name: str, path: str) -> str:
        for c in self.columns:
            if c.name == name:
                return c.type
        raise SpecError(path, self.unknown(name))

    def unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(self.names[:20]) + (", …" if len(self.names) > 20 else "")
        return f"Unknown column {name!r}{hint}; known: {known}."

    def checked(self, path: str) -> Schema:
        """This schema, if its names are distinct ignoring case (DuckDB identifiers are)."""
        seen: set[str] = set()
        for c in self.columns:
            if c.name.casefold() in seen:
                raise SpecError(path, f"Duplicate output column {c.name!r} (DuckDB column names "
                                      "are case-insensitive).")
            seen.add(c.name.casefold())
        if not self.columns:
            raise SpecError(path, "The step leaves no columns.")
        return self
