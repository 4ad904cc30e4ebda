"""De-identification steps (GB/T 37964-2019 §A.2-A.4; issue 4 §2): mask, keyed_hash, tokenise,
generalise, redact_pii.  All run in SQL (see :mod:`.sqlfns`, :mod:`.redact`); each turns a
column into VARCHAR except where noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from . import reader as r
from . import sqlfns
from .base import CheckContext, CompileContext, Step, col, project, select_from
from .redact import KINDS, redact_select
from .types import Column, Schema, kind

__all__ = ["GENERALISERS", "Generalise", "Generaliser", "KeyedHash", "Mask", "RedactPII",
           "Tokenise"]

_SCALAR = ("integer", "float", "decimal", "text", "date", "timestamp", "time", "boolean",
           "uuid")
GENERALISERS = {  # method → column families it applies to
    "date_to_month": ("date", "timestamp"), "date_to_year": ("date", "timestamp"),
    "age_band": ("integer", "float", "decimal"), "number_bucket": ("integer", "float", "decimal"),
    "address_to_district": ("text",), "suppress": _SCALAR,
}


def _as_text(schema: Schema, names: tuple[str, ...], path: str, families: tuple[str, ...]
             ) -> Schema:
    """``schema`` with ``names`` turned VARCHAR, after checking each is of ``families``."""
    for i, c in enumerate(names):
        t = schema.type_of(c, f"{path}.columns.{i}")
        if kind(t) not in families:
            raise r.SpecError(f"{path}.columns.{i}", f"Column {c!r} is {t}; this step does not "
                                                     "apply to it.")
    return Schema(tuple(Column(c.name, "VARCHAR") if c.name in names else c
                        for c in schema.columns))


@dataclass(frozen=True)
class Mask(Step):
    """Masking (屏蔽): keep the first ``keep_first`` and last ``keep_last`` characters."""

    type = "mask"
    required, optional = ("columns",), ("keep_first", "keep_last", "char")
    columns: tuple[str, ...]
    keep_first: int = 0
    keep_last: int = 0
    char: str = "*"

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Mask:
        first, last = (r.integer(raw.get(k, 0), r.join(path, k), 0, 64)
                       for k in ("keep_first", "keep_last"))
        char = r.string(raw.get("char", "*"), r.join(path, "char"), max_len=1)
        return cls(r.names(raw["columns"], r.join(path, "columns")), first, last, char)

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        return _as_text(schema, self.columns, path, _SCALAR)

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        return project(schema, {c: sqlfns.mask(col(c), self.keep_first, self.keep_last,
                                               self.char) for c in self.columns}, source)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class KeyedHash(Step):
    """Keyed hashing: hex HMAC-SHA256 of each value under the element's secret."""

    type = "keyed_hash"
    required = ("columns",)
    uses_secret = True
    columns: tuple[str, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> KeyedHash:
        return cls(r.names(raw["columns"], r.join(path, "columns")))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        return _as_text(schema, self.columns, path, _SCALAR)

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        return project(schema, {c: self.apply(col(c), ctx) for c in self.columns}, source)

    def apply(self, value: exp.Expression, ctx: CompileContext) -> exp.Expression:
        return sqlfns.keyed_hash(value, ctx)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class Tokenise(KeyedHash):
    """Tokenisation: ``tok_`` + 24 base32 characters, unlinkable to the keyed hash."""

    type = "tokenise"

    def apply(self, value: exp.Expression, ctx: CompileContext) -> exp.Expression:
        return sqlfns.token(value, ctx)


@dataclass(frozen=True)
class Generaliser:
    """One generalisation: ``method`` and, for bands and buckets, ``width``."""

    method: str
    width: Decimal | None = None

    @classmethod
    def parse(cls, raw: object, path: str, *, allow_suppress: bool) -> Generaliser:
        methods = [m for m in GENERALISERS if allow_suppress or m != "suppress"]
        doc = r.obj(raw, path, required=("method",), optional=("width",))
        method = r.choice(doc["method"], r.join(path, "method"), methods)
        needs, where = method in ("age_band", "number_bucket"), r.join(path, "width")
        if needs != ("width" in doc):
            raise r.SpecError(where, f"'{method}' {'needs' if needs else 'takes no'} width.")
        if not needs:
            return cls(method)
        if method == "age_band":
            return cls(method, Decimal(r.integer(doc["width"], where, 1, 200)))
        width = Decimal(repr(r.number(doc["width"], where, 0, 1e15, exclusive_lo=True)))
        if -width.normalize().as_tuple().exponent > 6:  # type: ignore[operator]
            raise r.SpecError(where, "At most 6 decimal places.")
        return cls(method, width)

    def check(self, type_: str, column: str, path: str) -> None:
        if kind(type_) not in GENERALISERS[self.method]:
            raise r.SpecError(path, f"'{self.method}' does not apply to {type_} column "
                                    f"{column!r}.")

    def to_sql(self, value: exp.Expression, type_: str) -> exp.Expression:
        if self.method == "suppress":
            return sqlfns.s("*")
        if self.method == "age_band":
            return sqlfns.age_band(value, type_, int(self.width))  # type: ignore[arg-type]
        if self.method == "number_bucket":
            return sqlfns.number_bucket(value, type_, self.width)  # type: ignore[arg-type]
        return getattr(sqlfns, self.method)(value)


@dataclass(frozen=True)
class Generalise(Step):
    """Generalisation (泛化) of one column, optionally renamed (``as``)."""

    type = "generalise"
    required, optional = ("column", "method"), ("width", "as")
    column: str
    how: Generaliser
    name: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Generalise:
        column = r.name(raw["column"], r.join(path, "column"))
        how = Generaliser.parse({k: v for k, v in raw.items() if k in ("method", "width")},
                                path, allow_suppress=False)
        return cls(column, how, r.name(raw.get("as", column), r.join(path, "as")))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        t = schema.type_of(self.column, r.join(path, "column"))
        self.how.check(t, self.column, r.join(path, "method"))
        return Schema(tuple(Column(self.name, "VARCHAR") if c.name == self.column else c
                            for c in schema.columns)).checked(r.join(path, "as"))

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        t = schema.type_of(self.column, "")
        return select_from(source, [
            exp.alias_(self.how.to_sql(col(c), t), self.name, quoted=True, copy=False)
            if c == self.column else col(c) for c in schema.names])

    def columns_used(self) -> frozenset[str]:
        return frozenset({self.column, self.name})


@dataclass(frozen=True)
class RedactPII(Step):
    """Replace detected direct identifiers in free text by ``[kind]`` (see :mod:`.redact`)."""

    type = "redact_pii"
    required, optional = ("columns",), ("kinds",)
    columns: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> RedactPII:
        kinds = KINDS
        if "kinds" in raw:
            p = r.join(path, "kinds")
            items = r.array(raw["kinds"], p, max_len=len(KINDS))
            chosen = {r.choice(k, f"{p}.{i}", KINDS) for i, k in enumerate(items)}
            kinds = tuple(k for k in KINDS if k in chosen)
        return cls(r.names(raw["columns"], r.join(path, "columns")), kinds)

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        return _as_text(schema, self.columns, path, ("text",))

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        return redact_select(source, schema.names, self.columns, self.kinds)

    def columns_used(self) -> frozenset[str]:
        return frozenset(self.columns)
