"""What every step type implements, and the contexts it is checked and compiled in.

A step is a frozen dataclass of its parameters.  ``parse`` reads it strictly from JSON,
``check`` maps the input schema to the output schema (raising :class:`SpecError` with the
field at fault), ``compile`` builds one ``SELECT … FROM <previous CTE>`` with sqlglot, listing
every output column explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlglot import exp

from marketplace.pipeline.kanon import KAnonPlan

from .types import Schema

__all__ = ["CheckContext", "CompileContext", "Step", "col", "fn", "select_from"]


@dataclass(frozen=True)
class CheckContext:
    """What a step may consult while being checked: the declared inputs' schemas and the
    element settings' quasi-identifiers and k."""

    inputs: Mapping[str, Schema]
    main: str
    quasi_identifiers: tuple[str, ...] = ()
    k: int | None = None


@dataclass(frozen=True)
class CompileContext:
    """CTE names and schemas of the inputs by alias, names of the secret parameters, and the
    k-anonymity plan chosen for this step (k_anonymity steps only)."""

    sources: Mapping[str, str]
    inputs: Mapping[str, Schema]
    ipad: str = "elx_ipad"
    opad: str = "elx_opad"
    plan: KAnonPlan | None = None


class Step:
    """Base of the step types; subclasses are frozen dataclasses registered by ``type``."""

    type: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ()  # JSON keys besides "type"
    optional: ClassVar[tuple[str, ...]] = ()
    row_preserving: ClassVar[bool] = True  # one output row per input row, same order of rows
    # Output rows in input order (a streaming projection or filter): when every step keeps
    # order, the output needs no sort to be deterministic (see compiler.compile_pipeline).
    keeps_order: ClassVar[bool] = True
    uses_secret: ClassVar[bool] = False

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> Step:
        raise NotImplementedError

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        raise NotImplementedError

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        raise NotImplementedError

    def columns_used(self) -> frozenset[str]:
        """Input columns this step reads or changes (selecting a column is neither)."""
        return frozenset()


def col(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference: the name is data, never SQL text."""
    return exp.column(name, table=table, quoted=True)


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A DuckDB function call by its own name (``name`` is always a constant of ours)."""
    return exp.Anonymous(this=name, expressions=list(args))


def select_from(source: str, projections: list[exp.Expression]) -> exp.Select:
    return exp.select(*projections).from_(exp.to_table(source), copy=False)


def project(schema: Schema, replace: Mapping[str, exp.Expression], source: str) -> exp.Select:
    """``SELECT`` every column of ``schema`` in order, some replaced by an expression."""
    items = [exp.alias_(replace[c.name], c.name, quoted=True, copy=False) if c.name in replace
             else col(c.name) for c in schema.columns]
    return select_from(source, items)
