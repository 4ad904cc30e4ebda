"""The k_anonymity step (GB/T 37964-2019 §A.4; Samarati 2001) on the element's declared
quasi-identifiers (QIs) and ``k``.

Each QI has a ladder of generalisers (default: ``[{"method": "suppress"}]``); level 0 is the raw
value as VARCHAR, level ``i`` the ``i``-th generaliser applied to the raw value.  Ladders are
checked to coarsen monotonically (month before year, band and bucket widths each a multiple of
the one before, ``suppress`` last), which :class:`~marketplace.pipeline.kanon.GroupCounts` also
verifies on the data.  Compilation is two-phase: :meth:`KAnonymity.counts_query` is the
``GROUP BY`` over every level of every QI whose rows feed
:func:`~marketplace.pipeline.kanon.plan_k_anonymity`; :meth:`KAnonymity.compile` then emits the
chosen levels and drops classes smaller than ``k`` with ``QUALIFY count(*) OVER (…) >= k``.
Every QI leaves this step as VARCHAR, whatever level was chosen, so the schema is static.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from marketplace.pipeline.kanon import MAX_NODES

from . import reader as r
from .base import CheckContext, CompileContext, Step, col, project, select_from
from .privacy import Generaliser
from .sqlfns import n, text
from .types import Column, Schema

__all__ = ["KAnonymity"]

_FAMILY = {"date_to_month": "date", "date_to_year": "date", "age_band": "age",
           "number_bucket": "number", "address_to_district": "address"}


@dataclass(frozen=True)
class KAnonymity(Step):
    """``{"type": "k_anonymity", "ladders": {qi: [generaliser, …]}, "max_suppression": f}``"""

    type = "k_anonymity"
    optional = ("ladders", "max_suppression")
    row_preserving = False
    keeps_order = False
    ladders: tuple[tuple[str, tuple[Generaliser, ...]], ...] = ()
    max_suppression: float = 0.0

    @classmethod
    def parse(cls, raw: Mapping[str, Any], path: str) -> KAnonymity:
        p = r.join(path, "ladders")
        ladders = raw.get("ladders", {})
        if not isinstance(ladders, Mapping) or len(ladders) > 16:
            raise r.SpecError(p, "Must be an object with at most 16 entries.")
        out = tuple((r.name(qi, f"{p}.{qi}"), tuple(
            Generaliser.parse(g, f"{p}.{qi}.{i}", allow_suppress=True)
            for i, g in enumerate(r.array(levels, f"{p}.{qi}", min_len=0, max_len=8))))
            for qi, levels in ladders.items())
        share = r.number(raw.get("max_suppression", 0), r.join(path, "max_suppression"), 0, 0.5)
        return cls(out, float(share))

    def ladder(self, qi: str) -> tuple[Generaliser, ...]:
        return dict(self.ladders).get(qi, (Generaliser("suppress"),))

    def check(self, schema: Schema, ctx: CheckContext, path: str) -> Schema:
        if not ctx.quasi_identifiers or ctx.k is None:
            raise r.SpecError(path, "k_anonymity needs element.quasi_identifiers and element.k.")
        for qi, _ in self.ladders:
            if qi not in ctx.quasi_identifiers:
                raise r.SpecError(f"{path}.ladders.{qi}", f"{qi!r} is not one of the declared "
                                                          "quasi_identifiers.")
        size = 1
        for qi in ctx.quasi_identifiers:
            p = f"{path}.ladders.{qi}"
            t = schema.type_of(qi, p)
            ladder = self.ladder(qi)
            for i, g in enumerate(ladder):
                g.check(t, qi, f"{p}.{i}.method")
            _check_coarsening(ladder, p)
            size *= len(ladder) + 1
        if size > MAX_NODES:
            raise r.SpecError(f"{path}.ladders", f"The lattice has {size} nodes; at most "
                                                 f"{MAX_NODES}.")
        return Schema(tuple(Column(c.name, "VARCHAR") if c.name in ctx.quasi_identifiers else c
                            for c in schema.columns))

    def levels(self, qis: tuple[str, ...], schema: Schema) -> list[list[exp.Expression]]:
        """Per QI, the SQL of level 0 (raw, as VARCHAR) … level h."""
        out = []
        for qi in qis:
            t = schema.type_of(qi, "")
            out.append([text(col(qi))] + [g.to_sql(col(qi), t) for g in self.ladder(qi)])
        return out

    def counts_query(self, source: str, qis: tuple[str, ...], schema: Schema) -> exp.Select:
        """``SELECT <every level of every QI>, count(*) … GROUP BY`` — GroupCounts' input."""
        items = [e for levels in self.levels(qis, schema) for e in levels]
        query = select_from(source, [*items, exp.Count(this=exp.Star())])
        return query.group_by(*(n(i) for i in range(1, len(items) + 1)), copy=False)

    def compile(self, source: str, schema: Schema, ctx: CompileContext) -> exp.Select:
        plan = ctx.plan
        if plan is None:
            raise ValueError("k_anonymity is compiled with a plan")
        chosen = {qi: levels[level] for qi, levels, level in zip(
            plan.columns, self.levels(plan.columns, schema), plan.levels, strict=True)}
        size = exp.Window(this=exp.Count(this=exp.Star()),
                          partition_by=[e.copy() for e in chosen.values()])
        return project(schema, chosen, source).qualify(size >= n(plan.k), copy=False)

    def columns_used(self) -> frozenset[str]:
        return frozenset()


def _check_coarsening(ladder: tuple[Generaliser, ...], path: str) -> None:
    """Each level must be a function of the one below it."""
    previous: Generaliser | None = None
    for i, g in enumerate(ladder):
        where = f"{path}.{i}"
        if previous is not None and previous.method == "suppress":
            raise r.SpecError(where, "Nothing can follow 'suppress' (it is the coarsest).")
        if g.method != "suppress" and previous is not None:
            a, b = previous, g
            if _FAMILY[a.method] != _FAMILY[b.method]:
                raise r.SpecError(where, f"'{b.method}' cannot follow '{a.method}'.")
            if a.method == b.method and a.method in ("date_to_month", "date_to_year",
                                                     "address_to_district"):
                raise r.SpecError(where, f"'{b.method}' is repeated.")
            if a.method == "date_to_year" and b.method == "date_to_month":
                raise r.SpecError(where, "Months are finer than years.")
            if a.width is not None and b.width is not None and (
                    b.width <= a.width or b.width % a.width):
                raise r.SpecError(where, f"Width {b.width} must be a larger multiple of "
                                         f"{a.width}.")
        previous = g
