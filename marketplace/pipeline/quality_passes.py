"""The DuckDB queries of a quality profile: two scans of the source, plus rarely a third.

1. Row pass — one ungrouped aggregate of constant memory: row count; per column non-nulls;
   per row check ``count(*) FILTER`` of the rows it applies to and of its failures, and
   ``min([values], HEAP × k) FILTER (failing)`` — a bounded heap of the smallest failing value
   tuples, whose first ``k`` distinct entries are the ``k`` smallest distinct failing tuples
   (a deterministic choice of examples that needs no sort of the table).
2. Key pass — ``GROUP BY GROUPING SETS``: all columns (duplicate rows), every declared key,
   and each column alone (exact distinct counts), with ``min``/``max`` of same-value columns
   per group (two values differ exactly when ``min <> max``).  An outer aggregate picks each
   set by its GROUPING() bits.  Hash aggregation spills to disk past DuckDB's memory limit,
   which several ``count(DISTINCT …)`` in one ungrouped aggregate do not (and, in DuckDB 2.0,
   grouping sets mixing a STRUCT key with other sets do not either).
3. Example pass — ``min(DISTINCT …, k)``, only for checks whose heap was full of repeats.

Only one result row per query comes back to Python.
"""

from __future__ import annotations

from .quality_plan import Col, GroupCheck, Plan
from .quality_sql import RESERVED, ident

__all__ = ["HEAP", "example_pass", "group_pass", "row_pass", "shown_columns"]

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


def _key_nonnull(key: tuple[str, ...]) -> str:
    return " AND ".join(f"{ident(k)} IS NOT NULL" for k in key) or "true"


def group_pass(plan: Plan, source: str, limit: int, exact: bool = True) -> tuple[str, list[str]]:
    """SQL of the key pass and the names of its result columns."""
    order = [c.name for c in plan.columns]
    sets: dict[tuple[str, ...], str] = {}  # grouped columns → their GROUPING() bits

    def gset(key: tuple[str, ...] | None) -> tuple[str, ...]:
        return tuple(order) if key is None else tuple(sorted(key, key=order.index))

    wanted = [gset(g.key) for g in plan.group] + ([(c,) for c in order] if exact else [])
    grouping = sorted({k for s in wanted for k in s}, key=order.index)
    for s in wanted:
        sets.setdefault(s, "".join("0" if col in s else "1" for col in grouping))
    values = sorted({g.value for g in plan.group if g.value}, key=order.index)
    needed = sorted(set(grouping) | set(values), key=order.index)
    g, n = ident(f"{RESERVED}g"), ident(f"{RESERVED}n")
    bits = " || ".join(f"CAST(GROUPING({ident(c)}) AS VARCHAR)" for c in grouping)
    minmax = "".join(f", min({ident(v)}) AS {ident(f'{RESERVED}mn{j}')}"
                     f", max({ident(v)}) AS {ident(f'{RESERVED}mx{j}')}"
                     for j, v in enumerate(values))
    listed = ", ".join("(" + ", ".join(map(ident, s)) + ")" for s in sets)
    head = f"{bits} AS {g}, {', '.join(map(ident, grouping))}, count(*) AS {n}{minmax}"
    middle = (f"SELECT {head} FROM (SELECT {', '.join(map(ident, needed))} "  # noqa: S608
              f"FROM {source}) GROUP BY GROUPING SETS ({listed})")
    outer: list[tuple[str, str]] = []
    for i, check in enumerate(plan.group):
        sel = f"{g} = '{sets[gset(check.key)]}' AND {_key_nonnull(check.key or ())}"
        shown = [ident(k) for k in (order[:6] if check.key is None else check.key)]
        if check.value is None:
            outer += [(f"rows{i}", f"coalesce(sum({n}) FILTER (WHERE {sel}), 0)"),
                      (f"groups{i}", f"count(*) FILTER (WHERE {sel})")]
            bad = f"{sel} AND {n} > 1"
        else:
            j = values.index(check.value)
            mn, mx = ident(f"{RESERVED}mn{j}"), ident(f"{RESERVED}mx{j}")
            bad = f"{sel} AND {mn} <> {mx}"
            outer += [(f"groups{i}", f"count(*) FILTER (WHERE {sel})"),
                      (f"bad{i}", f"count(*) FILTER (WHERE {bad})")]
            shown += [mn, mx]
        if limit:
            outer.append((f"e{i}", _smallest(shown, f"({bad})", limit)))
    if exact:
        outer += [(f"distinct{j}", f"count(*) FILTER (WHERE {g} = '{sets[(c,)]}' AND "
                                   f"{ident(c)} IS NOT NULL)") for j, c in enumerate(order)]
    sql = f"SELECT {', '.join(e for _, e in outer)} FROM ({middle})"  # noqa: S608
    return sql, [name for name, _ in outer]


def shown_columns(check: GroupCheck, columns: tuple[Col, ...]) -> tuple[str, ...]:
    """Labels of a key check's example values (as :func:`group_pass` lists them)."""
    if check.key is None:
        return tuple(c.name for c in columns[:6])
    return (*check.key, *((check.value, check.value) if check.value else ()))
