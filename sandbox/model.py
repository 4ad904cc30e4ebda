"""The vetted query as data (issue 7 §3): predicates in negation normal form, aggregates and
outputs, plus the one renderer both the canonical SQL and the executed SQL come from.

Nothing the buyer typed is ever executed: the executed SQL is re-rendered from these values,
with every literal passed as a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["FLIP", "NEGATE", "Aggregate", "And", "Cmp", "InList", "Or", "Output", "Predicate",
           "Value", "column_kind", "columns_of", "quote", "render", "render_value"]

Value = str | int | Decimal | date | bool
NEGATE = {"=": "<>", "<>": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
FLIP = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_INT = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "INT", "INT1", "INT2", "INT4", "INT8", "LONG", "SHORT"}
_FLOAT = {"FLOAT", "REAL", "DOUBLE", "FLOAT4", "FLOAT8"}


def column_kind(sql_type: str) -> str:
    """'int', 'float', 'text', 'date', 'bool' or 'other' for a DuckDB type name."""
    t = sql_type.strip().upper()
    if t in _INT:
        return "int"
    if t in _FLOAT or t.startswith(("DECIMAL", "NUMERIC")):
        return "float"
    if t in {"VARCHAR", "TEXT", "STRING"} or t.startswith("VARCHAR"):
        return "text"
    return {"DATE": "date", "BOOLEAN": "bool", "BOOL": "bool"}.get(t, "other")


@dataclass(frozen=True)
class Cmp:
    column: str
    op: str
    value: Value


@dataclass(frozen=True)
class InList:
    column: str
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class And:
    terms: tuple[Predicate, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Predicate, ...]


Predicate = Cmp | InList | And | Or


@dataclass(frozen=True)
class Aggregate:
    """``func`` in count/count_distinct/sum/avg; ``column`` None only for COUNT(*)."""

    func: str
    column: str | None = None

    @property
    def label(self) -> str:
        arg = "*" if self.column is None else self.column
        if self.func == "count_distinct":
            return f"count(DISTINCT {arg})"
        return f"{self.func}({arg})"


@dataclass(frozen=True)
class Output:
    """One column of the answer: a grouped dimension or an aggregate, under ``name``."""

    name: str
    dimension: str | None = None
    aggregate: Aggregate | None = None


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def render_value(value: Value) -> str:
    """A literal as canonical SQL text (used for the normalised form only)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return format(Decimal(value).normalize(), "f")


def render(pred: Predicate, value: Callable[[Value], str] = render_value) -> str:
    """SQL for a predicate; ``value`` turns each literal into text or a placeholder."""
    if isinstance(pred, Cmp):
        return f"{quote(pred.column)} {pred.op} {value(pred.value)}"
    if isinstance(pred, InList):
        inner = ", ".join(value(v) for v in pred.values)
        return f"{quote(pred.column)} {'NOT IN' if pred.negated else 'IN'} ({inner})"
    joiner = " AND " if isinstance(pred, And) else " OR "
    return "(" + joiner.join(render(t, value) for t in pred.terms) + ")"


def columns_of(pred: Predicate) -> set[str]:
    """Every column a predicate mentions."""
    if isinstance(pred, Cmp | InList):
        return {pred.column}
    return set().union(*(columns_of(t) for t in pred.terms))
