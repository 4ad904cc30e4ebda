"""Row steps (issue 4 §1): filter, dedupe, drop_nulls, sample (join, aggregate: joins.py).

Every choice a step makes between rows is a function of the data alone, never of thread
scheduling: dedupe on some columns keeps the row that sorts first on the other columns;
sampling keeps a row when DuckDB's ``hash(seed, row…)`` falls below ``fraction × 2^64``, or the
``n`` rows with the smallest hash (ties broken by the row itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from marketplace.pipeline import expressions as ex

from . import reader as r
from .base import CheckContext, CompileContext, Step, col, fn, select_from
from .sqlfns import n
from .types import Schema, datatype, orderable

__all__ = ["Dedupe", "DropNulls", "Filter", "Sample"]


@dataclass(frozen=True)
class Filter(Step):
    """Keep the rows for which ``where`` (see :mod:`..expressions`) is true."""

    type = "filter"
    required = ("where",)
    row_preserving = False
    where: ex.Expr

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Filter:
        return cls(ex.parse(raw["where"], r.join(path, "where")))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        ex.to_sql(self.where, schema, r.join(path, "where"))
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        where = ex.to_sql(self.where, schema, "where")
        return select_from(source, [col(c) for c in schema.names]).where(where, copy=False)

    def columns_used(self) -> frozenset[str]:
        return ex.columns(self.where)


def _known(names: tuple[str, ...], schema: Schema, path: str) -> None:
    for i, c in enumerate(names):
        schema.type_of(c, f"{path}.{i}")


@dataclass(frozen=True)
class Dedupe(Step):
    """Drop duplicate rows: equal on ``columns`` (default: on all columns)."""

    type = "dedupe"
    optional = ("columns",)
    row_preserving = False
    keeps_order = False
    columns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Dedupe:
        return cls(r.names(raw["columns"], r.join(path, "columns")) if "columns" in raw else ())

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        _known(self.columns, schema, f"{path}.columns")
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        out = select_from(source, [col(c) for c in schema.names])
        if not self.columns:
            return out.distinct(copy=False)
        rest = [exp.Ordered(this=col(c)) for c in schema.names if c not in self.columns]
        first = exp.Window(this=fn("row_number"), partition_by=[col(c) for c in self.columns],
                           order=exp.Order(expressions=rest) if rest else None)
        return out.qualify(exp.EQ(this=first, expression=n(1)), copy=False)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class DropNulls(Step):
    """Drop rows with a NULL in any of ``columns`` (default: any column)."""

    type = "drop_nulls"
    optional = ("columns",)
    row_preserving = False
    columns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> DropNulls:
        return cls(r.names(raw["columns"], r.join(path, "columns")) if "columns" in raw else ())

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        _known(self.columns, schema, f"{path}.columns")
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        tests = [exp.Not(this=exp.Is(this=col(c), expression=exp.Null()))
                 for c in (self.columns or schema.names)]
        return select_from(source, [col(c) for c in schema.names]).where(exp.and_(*tests),
                                                                         copy=False)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class Sample(Step):
    """A deterministic sample: ``fraction`` (0 < f <= 1) of the rows, or ``n`` rows, chosen by
    DuckDB's ``hash(seed, row…)`` (stable for one engine version)."""

    type = "sample"
    required, optional = ("seed",), ("fraction", "n")
    row_preserving = False
    keeps_order = False
    seed: int
    fraction: float | None = None
    n: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Sample:
        seed = r.integer(raw["seed"], r.join(path, "seed"), 0, 2**31 - 1)
        if ("fraction" in raw) == ("n" in raw):
            raise r.SpecError(path, "Give exactly one of 'fraction' and 'n'.")
        if "n" in raw:
            return cls(seed, n=r.integer(raw["n"], r.join(path, "n"), 1, 10**12))
        return cls(seed, fraction=float(r.number(raw["fraction"], r.join(path, "fraction"),
                                                 0, 1, exclusive_lo=True)))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        h = fn("hash", n(self.seed), *(col(c) for c in schema.names))
        out = select_from(source, [col(c) for c in schema.names])
        if self.n is not None:
            order = [exp.Ordered(this=h), *(exp.Ordered(this=col(c)) for c in schema.names
                                            if orderable(self._type(schema, c)))]
            return out.order_by(*order, copy=False).limit(self.n, copy=False)
        threshold = min(int(self.fraction * 2**64), 2**64 - 1)  # type: ignore[operator]
        return out.where(exp.LT(this=h, expression=exp.Cast(
            this=exp.Literal.string(str(threshold)), to=datatype("UBIGINT"))), copy=False)

    @staticmethod
    def _type(schema: Schema, name: str) -> str:
        return schema.type_of(name, "")

