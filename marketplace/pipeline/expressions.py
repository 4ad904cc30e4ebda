"""The safe filter language of the pipeline spec (issue 4 §1): JSON trees, never SQL text.

::

    expr := {"and": [expr, …]} | {"or": [expr, …]} | {"not": expr}
          | {"col": name, "op": "=" | "!=" | "<" | "<=" | ">" | ">=", "value": literal}
          | {"col": name, "op": "in" | "not_in", "value": [literal, …]}   (1-1000 values)
          | {"col": name, "op": "is_null" | "not_null"}
          | {"col": name, "op": "starts_with", "value": string}           (VARCHAR only)

Literals are typed by the column (numbers for numeric columns, ISO 8601 strings for DATE and
TIMESTAMP, true/false for BOOLEAN) and become sqlglot literals, so a value is always data.
Semantics are SQL's three-valued logic: a comparison with NULL is unknown and the row is
dropped (``{"not": …}`` of unknown is unknown).  Trees are at most :data:`MAX_DEPTH` deep and
:data:`MAX_NODES` nodes large.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .steps import reader as r
from .steps.base import col, fn
from .steps.types import Schema, kind, literal, literals

__all__ = ["MAX_DEPTH", "MAX_NODES", "Comparison", "Expr", "Logical", "Not", "columns",
           "parse", "to_sql"]

MAX_DEPTH = 16
MAX_NODES = 256
COMPARE = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
OPS = (*COMPARE, "in", "not_in", "is_null", "not_null", "starts_with")
_UNORDERED = ("boolean", "nested", "blob", "interval", "uuid")


@dataclass(frozen=True)
class Comparison:
    col: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Comparison | Logical | Not


def parse(raw: object, path: str) -> Expr:
    """Read an expression tree strictly; SpecError names the offending node."""
    return _parse(raw, path, 1, [0])


def _parse(raw: object, path: str, depth: int, count: list[int]) -> Expr:
    count[0] += 1
    if depth > MAX_DEPTH:
        raise r.SpecError(path, f"The expression is nested deeper than {MAX_DEPTH} levels.")
    if count[0] > MAX_NODES:
        raise r.SpecError(path, f"The expression has more than {MAX_NODES} nodes.")
    if not isinstance(raw, Mapping):
        raise r.SpecError(path, "Must be an object.")
    if "and" in raw or "or" in raw:
        op = "and" if "and" in raw else "or"
        r.obj(raw, path, required=(op,))
        items = r.array(raw[op], r.join(path, op), max_len=64)
        return Logical(op, tuple(_parse(x, f"{path}.{op}.{i}", depth + 1, count)
                                 for i, x in enumerate(items)))
    if "not" in raw:
        r.obj(raw, path, required=("not",))
        return Not(_parse(raw["not"], r.join(path, "not"), depth + 1, count))
    r.obj(raw, path, required=("col", "op"), optional=("value",))
    name = r.name(raw["col"], r.join(path, "col"))
    op = r.choice(raw["op"], r.join(path, "op"), OPS)
    if (op in ("is_null", "not_null")) == ("value" in raw):
        need = "must not" if "value" in raw else "must"
        raise r.SpecError(r.join(path, "value"), f"Operator {op!r} {need} have a value.")
    return Comparison(name, op, raw.get("value"))


def to_sql(expr: Expr, schema: Schema, path: str) -> exp.Expression:
    """The SQL condition for ``expr`` over ``schema``; SpecError on a column or type error."""
    if isinstance(expr, Logical):
        parts = [exp.Paren(this=to_sql(x, schema, f"{path}.{expr.op}.{i}"))
                 for i, x in enumerate(expr.items)]
        return exp.and_(*parts) if expr.op == "and" else exp.or_(*parts)
    if isinstance(expr, Not):
        return exp.Not(this=exp.Paren(this=to_sql(expr.item, schema, f"{path}.not")))
    type_ = schema.type_of(expr.col, r.join(path, "col"))
    family, value_path, c = kind(type_), r.join(path, "value"), col(expr.col)
    if expr.op in ("is_null", "not_null"):
        test = exp.Is(this=c, expression=exp.Null())
        return test if expr.op == "is_null" else exp.Not(this=test)
    if family in _UNORDERED and not (family == "boolean" and expr.op in ("=", "!=")):
        raise r.SpecError(r.join(path, "op"), f"Operator {expr.op!r} does not apply to "
                                              f"{type_} column {expr.col!r}.")
    if expr.op == "starts_with":
        if family != "text":
            raise r.SpecError(r.join(path, "op"), f"'starts_with' needs a VARCHAR column; "
                                                  f"{expr.col!r} is {type_}.")
        return fn("starts_with", c, literal(expr.value, type_, value_path))
    if expr.op in ("in", "not_in"):
        test = exp.In(this=c, expressions=literals(expr.value, type_, value_path))
        return test if expr.op == "in" else exp.Not(this=test)
    return COMPARE[expr.op](this=c, expression=literal(expr.value, type_, value_path))


def columns(expr: Expr) -> frozenset[str]:
    if isinstance(expr, Logical):
        return frozenset().union(*(columns(x) for x in expr.items))
    if isinstance(expr, Not):
        return columns(expr.item)
    return frozenset({expr.col})
