"""Column steps (issue 4 §1): select, rename, cast, normalise_text, fill_nulls, suppress.

Each keeps one output row per input row; they change which columns there are, their names,
types or values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from . import reader as r
from . import sqlfns
from .base import CheckContext, CompileContext, Step, col, project, select_from
from .types import Column, Schema, cast_type, datatype, kind, literal

__all__ = ["Cast", "FillNulls", "NormaliseText", "Rename", "Select", "Suppress"]


def _mapping(raw: object, path: str) -> dict[str, Any]:
    """A non-empty JSON object keyed by column names."""
    if not isinstance(raw, Mapping):
        raise r.SpecError(path, "Must be an object.")
    items = dict(raw)
    if not 1 <= len(items) <= 1024:
        raise r.SpecError(path, "Must have 1 to 1024 entries.")
    return {r.name(k, r.join(path, k)): v for k, v in items.items()}


@dataclass(frozen=True)
class Select(Step):
    """Keep ``columns``, in that order."""

    type = "select"
    required = ("columns",)
    columns: tuple[str, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Select:
        return cls(r.names(raw["columns"], r.join(path, "columns")))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        return Schema(tuple(Column(c, schema.type_of(c, f"{path}.columns.{i}"))
                            for i, c in enumerate(self.columns))).checked(path)

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        return select_from(source, [col(c) for c in self.columns])


@dataclass(frozen=True)
class Rename(Step):
    """Rename ``{old: new}``; the column order is kept."""

    type = "rename"
    required = ("columns",)
    columns: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Rename:
        p = r.join(path, "columns")
        items = _mapping(raw["columns"], p)
        return cls(tuple((old, r.name(new, f"{p}.{old}")) for old, new in items.items()))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        names = dict(self.columns)
        for old in names:
            schema.type_of(old, f"{path}.columns.{old}")
        return Schema(tuple(Column(names.get(c.name, c.name), c.type)
                            for c in schema.columns)).checked(f"{path}.columns")

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        names = dict(self.columns)
        return select_from(source, [
            exp.alias_(col(c), names[c], quoted=True, copy=False) if c in names else col(c)
            for c in schema.names])

    def columns_used(self) -> frozenset[str]:
        return frozenset(x for pair in self.columns for x in pair)


@dataclass(frozen=True)
class Cast(Step):
    """Cast ``{column: type}``; ``on_error: "fail"`` stops the run on a value that does not
    convert, ``"null"`` makes it NULL (``TRY_CAST``)."""

    type = "cast"
    required, optional = ("columns",), ("on_error",)
    columns: tuple[tuple[str, str], ...]
    on_error: str = "fail"

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Cast:
        p = r.join(path, "columns")
        items = _mapping(raw["columns"], p)
        on_error = r.choice(raw.get("on_error", "fail"), r.join(path, "on_error"), ("fail", "null"))
        return cls(tuple((c, cast_type(t, f"{p}.{c}")) for c, t in items.items()), on_error)

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        types = dict(self.columns)
        for c in types:
            if kind(schema.type_of(c, f"{path}.columns.{c}")) == "nested":
                raise r.SpecError(f"{path}.columns.{c}", "Nested values cannot be cast.")
        return Schema(tuple(Column(c.name, types.get(c.name, c.type)) for c in schema.columns))

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        make = exp.TryCast if self.on_error == "null" else exp.Cast
        return project(schema, {c: make(this=col(c), to=datatype(t)) for c, t in self.columns},
                       source)

    def columns_used(self) -> frozenset[str]:
        return frozenset(c for c, _ in self.columns)


def _text_columns(names: tuple[str, ...], schema: Schema, path: str) -> None:
    for i, c in enumerate(names):
        t = schema.type_of(c, f"{path}.columns.{i}")
        if kind(t) != "text":
            raise r.SpecError(f"{path}.columns.{i}", f"Column {c!r} is {t}; this step needs "
                                                     "VARCHAR (cast it first).")


@dataclass(frozen=True)
class NormaliseText(Step):
    """``ops`` on text columns, applied in the order halfwidth → trim → iso_date."""

    type = "normalise_text"
    required = ("columns", "ops")
    columns: tuple[str, ...]
    ops: tuple[str, ...]

    OPS = ("halfwidth", "trim", "iso_date")

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> NormaliseText:
        p = r.join(path, "ops")
        ops = {r.choice(op, f"{p}.{i}", cls.OPS)
               for i, op in enumerate(r.array(raw["ops"], p, max_len=3))}
        return cls(r.names(raw["columns"], r.join(path, "columns")),
                   tuple(op for op in cls.OPS if op in ops))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        _text_columns(self.columns, schema, path)
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        def normal(e: exp.Expression) -> exp.Expression:
            for op in self.ops:
                e = getattr(sqlfns, op)(e)
            return e
        return project(schema, {c: normal(col(c)) for c in self.columns}, source)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class FillNulls(Step):
    """Replace NULL by a literal of the column's type: ``{"values": {column: value}}``."""

    type = "fill_nulls"
    required = ("values",)
    values: tuple[tuple[str, Any], ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> FillNulls:
        return cls(tuple(_mapping(raw["values"], r.join(path, "values")).items()))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        for c, v in self.values:
            literal(v, schema.type_of(c, f"{path}.values.{c}"), f"{path}.values.{c}",
                    assign=True)
        return schema

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        types = dict((c.name, c.type) for c in schema.columns)
        return project(schema, {c: exp.Coalesce(this=col(c), expressions=[exp.Cast(
            this=literal(v, types[c], ""), to=datatype(types[c]))]) for c, v in self.values},
            source)

    def columns_used(self) -> frozenset[str]:
        return frozenset(c for c, _ in self.values)


@dataclass(frozen=True)
class Suppress(Step):
    """Suppression (GB/T 37964 §A.2): drop the ``columns`` or set them NULL (``mode``)."""

    type = "suppress"
    required, optional = ("columns",), ("mode",)
    columns: tuple[str, ...]
    mode: str = "null"

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Suppress:
        mode = r.choice(raw.get("mode", "null"), r.join(path, "mode"), ("null", "drop"))
        return cls(r.names(raw["columns"], r.join(path, "columns")), mode)

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        for i, c in enumerate(self.columns):
            schema.type_of(c, f"{path}.columns.{i}")
        if self.mode == "null":
            return schema
        return Schema(tuple(c for c in schema.columns if c.name not in self.columns)).checked(
            f"{path}.columns")

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        if self.mode == "drop":
            return select_from(source, [col(c) for c in schema.names if c not in self.columns])
        types = dict((c.name, c.type) for c in schema.columns)
        return project(schema, {c: exp.Cast(this=exp.null(), to=datatype(types[c]))
                                for c in self.columns}, source)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)
