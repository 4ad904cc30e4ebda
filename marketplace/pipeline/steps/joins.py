"""Combining steps (issue 4 §1): join with another declared input, and aggregate.

A join is an equi-join of the current table (``l``) with a declared input other than the main
one, inner or left; the right side's non-key columns are added (optionally renamed).  Aggregate
is ``GROUP BY`` with count / count_distinct / sum / avg / min / max; result types are fixed so
the validator can predict them: counts are BIGINT, integer sums BIGINT, decimal sums
DECIMAL(38, s), averages and float sums DOUBLE.  Float sums and averages add in sorted order
(``sum(x ORDER BY x)``) so the result does not depend on how rows were split between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from . import reader as r
from .base import CheckContext, CompileContext, Step, col, select_from
from .types import Column, Schema, datatype, decimal_scale, kind, orderable

__all__ = ["Aggregate", "Aggregation", "Join"]

_NUMERIC = ("integer", "float", "decimal")
FUNCTIONS = ("count", "count_distinct", "sum", "avg", "min", "max")


def _pairs(raw: object, path: str, max_len: int) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping) or not 1 <= len(raw) <= max_len:
        raise r.SpecError(path, f"Must be an object with 1 to {max_len} entries.")
    return tuple((r.name(k, f"{path}.{k}"), r.name(v, f"{path}.{k}")) for k, v in raw.items())


@dataclass(frozen=True)
class Join(Step):
    """``{"input": alias, "on": {left: right}, "how": "inner"|"left", "columns": {right: out}}``"""

    type = "join"
    required, optional = ("input", "on"), ("how", "columns")
    row_preserving = False
    keeps_order = False
    input: str
    on: tuple[tuple[str, str], ...]
    how: str = "inner"
    columns: tuple[tuple[str, str], ...] | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Join:
        how = r.choice(raw.get("how", "inner"), r.join(path, "how"), ("inner", "left"))
        columns = (_pairs(raw["columns"], r.join(path, "columns"), 1024)
                   if "columns" in raw else None)
        return cls(r.string(raw["input"], r.join(path, "input"), max_len=64),
                   _pairs(raw["on"], r.join(path, "on"), 16), how, columns)

    def right_columns(self, right: Schema) -> tuple[tuple[str, str], ...]:
        keys = {b for _, b in self.on}
        if self.columns is None:
            return tuple((c, c) for c in right.names if c not in keys)
        return self.columns

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        where = r.join(path, "input")
        if self.input == ctx.main:
            raise r.SpecError(where, f"Input {self.input!r} is the main input: a pipeline "
                                     "cannot join its own input into itself.")
        if self.input not in ctx.inputs:
            raise r.SpecError(where, f"Unknown input {self.input!r}; declared: "
                                     f"{', '.join(ctx.inputs)}.")
        right = ctx.inputs[self.input]
        for left_col, right_col in self.on:
            p = f"{path}.on.{left_col}"
            a, b = schema.type_of(left_col, p), right.type_of(right_col, p)
            fa, fb = kind(a), kind(b)
            if not orderable(a) or not (fa == fb or {fa, fb} <= set(_NUMERIC)):
                raise r.SpecError(p, f"Cannot join {left_col!r} ({a}) with {right_col!r} ({b}).")
        added = tuple(Column(out, right.type_of(c, f"{path}.columns.{c}"))
                      for c, out in self.right_columns(right))
        return Schema(schema.columns + added).checked(r.join(path, "columns"))

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        on = exp.and_(*(exp.EQ(this=col(a, "l"), expression=col(b, "r")) for a, b in self.on))
        items = [col(c, "l") for c in schema.names] + [
            exp.alias_(col(c, "r"), out, quoted=True, copy=False)
            for c, out in self.right_columns(ctx.inputs[self.input])]
        return (exp.select(*items).from_(exp.to_table(source).as_("l"), copy=False)
                .join(exp.to_table(ctx.sources[self.input]).as_("r"), on=on, join_type=self.how,
                      copy=False))

    def columns_used(self) -> frozenset[str]:
        return frozenset(a for a, _ in self.on)


@dataclass(frozen=True)
class Aggregation:
    fn: str
    column: str | None
    name: str


@dataclass(frozen=True)
class Aggregate(Step):
    """``{"group_by": [...], "aggregations": [{"fn": …, "column": …, "as": …}, …]}``"""

    type = "aggregate"
    required, optional = ("aggregations",), ("group_by",)
    row_preserving = False
    keeps_order = False
    group_by: tuple[str, ...]
    aggregations: tuple[Aggregation, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Aggregate:
        group = (r.names(raw["group_by"], r.join(path, "group_by"), min_len=0)
                 if "group_by" in raw else ())
        p = r.join(path, "aggregations")
        aggs = []
        for i, item in enumerate(r.array(raw["aggregations"], p, max_len=64)):
            q = f"{p}.{i}"
            r.obj(item, q, required=("fn", "as"), optional=("column",))
            func = r.choice(item["fn"], f"{q}.fn", FUNCTIONS)
            if "column" not in item and func != "count":
                raise r.SpecError(f"{q}.column", f"'{func}' needs a column.")
            column = r.name(item["column"], f"{q}.column") if "column" in item else None
            aggs.append(Aggregation(func, column, r.name(item["as"], f"{q}.as")))
        return cls(group, tuple(aggs))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        out = [Column(c, schema.type_of(c, f"{path}.group_by.{i}"))
               for i, c in enumerate(self.group_by)]
        for i, a in enumerate(self.aggregations):
            p = f"{path}.aggregations.{i}"
            out.append(Column(a.name, _result_type(a, schema, p)))
        return Schema(tuple(out)).checked(f"{path}.aggregations")

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        items: list[exp.Expression] = [col(c) for c in self.group_by]
        for a in self.aggregations:
            result = _result_type(a, schema, "")
            items.append(exp.alias_(_aggregate(a, schema, result), a.name, quoted=True,
                                    copy=False))
        out = select_from(source, items)
        return out.group_by(*(col(c) for c in self.group_by), copy=False) if self.group_by else out

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.group_by) | {a.column for a in self.aggregations if a.column}


def _result_type(a: Aggregation, schema: Schema, path: str) -> str:
    if a.column is None:
        return "BIGINT"
    t = schema.type_of(a.column, f"{path}.column")
    family = kind(t)
    if a.fn in ("count", "count_distinct"):
        return "BIGINT"
    if a.fn in ("min", "max"):
        if not orderable(t):
            raise r.SpecError(f"{path}.fn", f"'{a.fn}' does not apply to {t} column "
                                            f"{a.column!r}.")
        return t
    if family not in _NUMERIC:
        raise r.SpecError(f"{path}.fn", f"'{a.fn}' needs a numeric column; {a.column!r} is {t}.")
    if a.fn == "avg" or family == "float":
        return "DOUBLE"
    return "BIGINT" if family == "integer" else f"DECIMAL(38,{decimal_scale(t)})"


def _aggregate(a: Aggregation, schema: Schema, result: str) -> exp.Expression:
    if a.column is None:
        return exp.Count(this=exp.Star())
    c: exp.Expression = col(a.column)
    if a.fn == "count":
        return exp.Count(this=c)
    if a.fn == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[c]))
    if a.fn in ("sum", "avg") and kind(schema.type_of(a.column, "")) == "float":
        c = exp.Order(this=c, expressions=[exp.Ordered(this=col(a.column))])  # sorted adds
    call = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[a.fn](this=c)
    return exp.Cast(this=call, to=datatype(result))
