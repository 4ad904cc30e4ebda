"""The result of vetting (issue 7 §3): a query as data, its canonical SQL and cache key.

``normalised_sql`` and ``fingerprint`` cover only what the noise mechanism measures: the
table, the filter, the grouping and the set of aggregates. Output order, aliases, HAVING,
ORDER BY and LIMIT are applied to the noisy answer afterwards (free post-processing), so two
queries that differ only there share one fingerprint, one cached answer and one ε charge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sandbox.clauses import HavingTerm, OrderKey
from sandbox.model import Aggregate, Output, Predicate, quote, render

__all__ = ["VettedQuery"]


@dataclass(frozen=True)
class VettedQuery:
    """A query that passed every rule; build it with :func:`sandbox.vet`."""

    table: str
    identity: str
    dimensions: tuple[str, ...]
    aggregates: tuple[Aggregate, ...]
    where: Predicate | None
    outputs: tuple[Output, ...]
    having: tuple[HavingTerm, ...]
    order: tuple[OrderKey, ...]
    limit: int | None
    max_rows: int
    policy_digest: str

    @property
    def normalised_sql(self) -> str:
        """Canonical SQL of the measured part (literals inline, canonical order)."""
        dims = [quote(d) for d in self.dimensions]
        aggs = [_sql(a) for a in self.aggregates]
        sql = f"SELECT {', '.join(dims + aggs)} FROM {quote(self.table)}"  # noqa: S608
        if self.where is not None:
            sql += f" WHERE {render(self.where)}"
        if dims:
            sql += f" GROUP BY {', '.join(dims)}"
        return sql

    @property
    def fingerprint(self) -> str:
        """sha256 over the policy digest and :attr:`normalised_sql`: the answer-cache key."""
        text = f"elx-sandbox-v1\n{self.policy_digest}\n{self.normalised_sql}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def columns(self) -> tuple[str, ...]:
        """Output column names, in the buyer's order."""
        return tuple(o.name for o in self.outputs)


def _sql(agg: Aggregate) -> str:
    arg = "*" if agg.column is None else quote(agg.column)
    if agg.func == "count_distinct":
        return f"count(DISTINCT {arg})"
    return f"{agg.func}({arg})"
