"""The SQL the sandbox actually executes (issue 7 §3–4), rendered from a vetted query.

Per output group the engine returns the grouped dimensions, ``count(DISTINCT identity)`` (for
k-suppression, never released; ``count(identity)`` when C = 1, see below) and one value per
*mechanism*:

======================  =================================  ===========================
mechanism               executed as                        L1 sensitivity Δ
======================  =================================  ===========================
count(*)                ``count(*)``                       C
count(c), count_distinct(c)  ``count(c)`` / ``count(DISTINCT c)``  C
sum(c)                  ``sum(c clamped to [lo, hi])``     C · max(|lo|, |hi|)
avg(c)                  sum(c) and count(c), divided after noise
======================  =================================  ===========================

C is the policy's ``max_rows_per_identity``. Why Δ holds across *all* groups at once (the
neighbouring datasets differ by one identity and all its rows): that identity owns at most C
rows, each row lies in exactly one group, and each row moves a count by at most 1 and a clamped
sum by at most max(|lo|, |hi|); so the vector of one mechanism's values over every group moves
by at most Δ in L1, and Laplace(Δ/ε_j) per value is ε_j-DP for the vector. The runner checks
C against the element before any noisy value is released (:func:`sandbox.apply_privacy`).
Literals and bounds are bound parameters; identifiers are quoted schema names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sandbox.model import Aggregate, Value, column_kind, quote, render
from sandbox.policy import QueryPolicy
from sandbox.vetted import VettedQuery

__all__ = ["ExecutionPlan", "Mechanism", "plan"]


@dataclass(frozen=True)
class Mechanism:
    """One noised quantity per group: its label, SQL, sensitivity and numeric domain."""

    label: str
    sql: str
    sensitivity: int | Decimal
    integer: bool
    lower: Decimal | None = None
    upper: Decimal | None = None


@dataclass(frozen=True)
class ExecutionPlan:
    """What to run and how to privatise its rows. Row layout: dimensions, identities, then
    one column per mechanism."""

    sql: str
    params: tuple[Value, ...]
    profile_sql: str
    table: str
    fingerprint: str
    dimensions: tuple[str, ...]
    mechanisms: tuple[Mechanism, ...]
    k: int
    epsilon: Decimal
    max_groups: int
    max_rows_per_identity: int


def _mechanisms(aggs: tuple[Aggregate, ...],
                policy: QueryPolicy) -> list[tuple[Aggregate, Decimal | None, Decimal | None]]:
    needed: set[Aggregate] = set()
    for a in aggs:
        needed |= ({Aggregate("sum", a.column), Aggregate("count", a.column)}
                   if a.func == "avg" else {a})
    out = []
    for a in sorted(needed, key=lambda a: a.label):
        rule = policy.aggregates.get(a.column or "")
        bounds = (rule.lower, rule.upper) if a.func == "sum" and rule else (None, None)
        out.append((a, *bounds))
    return out


def plan(vetted: VettedQuery, policy: QueryPolicy, columns: Mapping[str, str]) -> ExecutionPlan:
    """The execution plan of a vetted query under ``policy`` (the one it was vetted with)."""
    if vetted.policy_digest != policy.digest():
        raise ValueError("the query was vetted under a different policy")
    kinds = {c: column_kind(t) for c, t in columns.items()}
    c = policy.max_rows_per_identity
    params: list[Value] = []

    def bind(value: Value) -> str:
        params.append(value)
        return "?"

    select = [quote(d) for d in vetted.dimensions]
    # identities per group, for k: with C = 1 (checked against the element before anything
    # is released) every identity owns one row, so count(identity) equals the distinct count
    # and avoids a hash set per group.
    ident = quote(policy.identity)
    select.append(f"count({ident})" if c == 1 else f"count(DISTINCT {ident})")
    mechs = []
    for agg, lo, hi in _mechanisms(vetted.aggregates, policy):
        col = quote(agg.column) if agg.column else "*"
        if agg.func != "sum" or lo is None or hi is None:
            sql = f"count(DISTINCT {col})" if agg.func == "count_distinct" else f"count({col})"
            mechs.append(Mechanism(agg.label, sql, c, True))
            continue
        integer = kinds[agg.column or ""] == "int" and lo == int(lo) and hi == int(hi)
        typed: tuple[Value, Value] = (int(lo), int(hi)) if integer else (lo, hi)
        value = col if integer else f"CAST({col} AS DOUBLE)"
        sql = (f"sum(CASE WHEN {col} IS NULL THEN NULL ELSE "
               f"least(greatest({value}, {bind(typed[0])}), {bind(typed[1])}) END)")
        sens = c * max(abs(lo), abs(hi))
        mechs.append(Mechanism(agg.label, sql, int(sens) if integer else sens, integer, lo, hi))
    select += [m.sql for m in mechs]
    sql = f"SELECT {', '.join(select)} FROM {quote(policy.table)}"  # noqa: S608
    if vetted.where is not None:
        sql += f" WHERE {render(vetted.where, bind)}"
    if vetted.dimensions:
        sql += f" GROUP BY {', '.join(quote(d) for d in vetted.dimensions)}"
    sql += f" LIMIT {policy.max_groups + 1}"
    profile = (f"SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM "  # noqa: S608
               f"{quote(policy.table)} GROUP BY {quote(policy.identity)})")
    return ExecutionPlan(sql=sql, params=tuple(params), profile_sql=profile, table=policy.table,
                         fingerprint=vetted.fingerprint, dimensions=vetted.dimensions,
                         mechanisms=tuple(mechs), k=policy.k, epsilon=policy.epsilon_per_query,
                         max_groups=policy.max_groups, max_rows_per_identity=c)
