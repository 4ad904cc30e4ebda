"""The DuckDB queries of a quality profile: a row pass and a key pass, rarely an example pass.

1. Row pass — one ungrouped aggregate of constant memory: row count; per column non-nulls;
   per row check ``count(*) FILTER`` of the rows it applies to and of its failures, and
   ``min([values], HEAP × k) FILTER (failing)`` — a bounded heap of the smallest failing value
   tuples, whose first ``k`` distinct entries are the ``k`` smallest distinct failing tuples
   (a deterministic choice of examples that needs no sort of the table).
2. Key pass (:mod:`.quality_keys`) — per key (all columns for duplicate rows, every declared
   key) a ``GROUP BY`` of 64-bit hashes, then the exact ``GROUP BY`` of the key over the rows
   whose hash is not unique, with ``min``/``max`` of same-value columns per group (two values
   differ exactly when ``min <> max``); exact distinct counts by ``GROUP BY GROUPING SETS`` of
   each column alone.  Hash aggregation spills to disk past DuckDB's memory limit, which
   several ``count(DISTINCT …)`` in one ungrouped aggregate do not.
3. Example pass — ``min(DISTINCT …, k)``, only for checks whose heap was full of repeats.

Only one result row per query comes back to Python.
"""

from __future__ import annotations

from .quality_plan import Plan
from .quality_sql import RESERVED, ident

__all__ = ["HEAP", "example_pass", "row_pass"]

HEAP = 5  # the row pass keeps HEAP × k smallest failing tuples per check


def _vc(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR)"


def _tested(plan: Plan, source: str) -> str:
    """Rows with each check's ``applies`` (a) and ``fails`` (f) flags, helpers computed once."""
    cols = [c.q for c in plan.columns]
    helpers = [f"{e} AS {ident(f'{RESERVED}h{i}')}" for i, e in enumerate(plan.helpers)]
    tested = list(cols)
    for i, check in enumerate(plan.row):
        tested += [f"{check.applies} AS {ident(f'{RESERVED}a{i}')}",
                   f"({check.applies}) AND NOT coalesce({check.ok}, false) "
                   f"AS {ident(f'{RESERVED}f{i}')}"]
    # Identifiers are quoted, rule values are $parameters, ``source`` is trusted (the caller's).
    return (f"SELECT {', '.join(tested)} FROM (SELECT {', '.join(cols + helpers)} "  # noqa: S608
            f"FROM {source})")


def _smallest(values: list[str], where: str, size: int, distinct: str = "") -> str:
    """The ``size`` smallest lists of ``values`` (as text) of the rows where ``where``; CASE
    builds the lists for those rows only (FILTER alone would build them for every row)."""
    listed = ", ".join(_vc(e) for e in values)
    return f"min({distinct}CASE WHEN {where} THEN [{listed}] END, {size}) FILTER (WHERE {where})"


def _example(plan: Plan, i: int, size: int, distinct: str = "") -> str:
    return _smallest(list(plan.row[i].example), ident(f"{RESERVED}f{i}"), size, distinct)


def row_pass(plan: Plan, source: str, limit: int, exact: bool = True) -> tuple[str, list[str]]:
    """SQL of the row pass and the names of its result columns; distinct counts are HyperLogLog
    estimates (``approx_count_distinct``) here unless ``exact`` (then in the key pass)."""
    outer = [("rows", "count(*)")]
    for j, c in enumerate(plan.columns):
        outer.append((f"nonnull{j}", f"count({c.q})"))
        if not exact:
            outer.append((f"distinct{j}", f"approx_count_distinct({c.q})"))
    for i, check in enumerate(plan.row):
        outer += [(f"n{i}", f"count(*) FILTER (WHERE {ident(f'{RESERVED}a{i}')})"),
                  (f"f{i}", f"count(*) FILTER (WHERE {ident(f'{RESERVED}f{i}')})")]
        if check.example and limit:
            outer.append((f"e{i}", _example(plan, i, HEAP * limit)))
        outer += [(f"x{i}.{k}", extra) for k, extra in enumerate(check.extras)]
    for i, total in enumerate(plan.totals):
        outer += [(f"sum{i}", f"sum({total.sum_sql})"), (f"cnt{i}", f"count({total.sum_sql})")]
    sql = f"SELECT {', '.join(e for _, e in outer)} FROM ({_tested(plan, source)})"  # noqa: S608
    return sql, [name for name, _ in outer]


def example_pass(plan: Plan, source: str, limit: int, checks: list[int]) -> tuple[str, list[str]]:
    """SQL of the ``limit`` smallest distinct failing tuples of the row checks ``checks``."""
    outer = [(f"e{i}", _example(plan, i, limit, "DISTINCT ")) for i in checks]
    sql = f"SELECT {', '.join(e for _, e in outer)} FROM ({_tested(plan, source)})"  # noqa: S608
    return sql, [name for name, _ in outer]
