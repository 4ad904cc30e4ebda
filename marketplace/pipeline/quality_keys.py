"""The key pass of a quality profile (GB/T 36344 uniqueness and same-value consistency): exact
counts per group of a key, with the work done on 8-byte hashes.

Per key (all columns for duplicate rows, or a declared key; rows with a null key part are not
counted for a declared key):

1. ``c`` — ``GROUP BY hash(key)`` with the row count per hash (materialised). A hash held by
   one row is one group of one row: neither a duplicate nor a same-value conflict.
2. ``x`` — the exact ``GROUP BY key`` (``count(*)``, ``min``/``max`` of same-value columns)
   over only the rows whose hash is held by more than one row.

So rows = Σ n over ``c``, groups = (hashes of one row) + (groups of ``x``), and every group of
more than one row, every same-value conflict and so every example is in ``x``: the counts and
examples are those of the plain ``GROUP BY key``.  This holds because rows equal under
``GROUP BY`` have equal DuckDB ``hash()`` (the one the hash aggregate itself uses: NULLs,
-0.0/0.0 and NaNs hash alike); a hash collision only sends more rows to ``x``.  Grouping
8-byte hashes instead of whole rows is what makes the pass cheap on wide rows (the duplicate
check groups by every column).  Exact distinct counts per column (``exact``) stay one
``GROUP BY GROUPING SETS`` of the single columns.
"""

from __future__ import annotations

from .quality_passes import _smallest
from .quality_plan import Col, GroupCheck, Plan
from .quality_sql import RESERVED, ident

__all__ = ["KEY_HASH", "group_pass", "shown_columns"]

KEY_HASH = "hash({})"  # a template, so that tests can force collisions


def _r(name: str) -> str:
    return ident(f"{RESERVED}{name}")


def _key_nonnull(key: tuple[str, ...]) -> str:
    return " AND ".join(f"{ident(k)} IS NOT NULL" for k in key) or "true"


def _distinct(order: list[str], source: str) -> tuple[str, list[tuple[str, str]]]:
    """One single-row subquery with the exact distinct non-null count of every column."""
    g = _r("g")
    bits = " || ".join(f"CAST(GROUPING({ident(c)}) AS VARCHAR)" for c in order)
    sets = ", ".join(f"({ident(c)})" for c in order)
    middle = (f"SELECT {bits} AS {g}, {', '.join(map(ident, order))} FROM (SELECT "  # noqa: S608
              f"{', '.join(map(ident, order))} FROM {source}) GROUP BY GROUPING SETS ({sets})")
    items = []
    for j, c in enumerate(order):
        mark = "".join("0" if k == j else "1" for k in range(len(order)))
        items.append((f"distinct{j}", f"count(*) FILTER (WHERE {g} = '{mark}' AND "
                                      f"{ident(c)} IS NOT NULL)"))
    listed = ", ".join(f"{e} AS {_r(n)}" for n, e in items)
    return f"(SELECT {listed} FROM ({middle}))", items  # noqa: S608


def group_pass(plan: Plan, source: str, limit: int, exact: bool = True) -> tuple[str, list[str]]:
    """SQL of the key pass and the names of its result columns (one result row)."""
    order = [c.name for c in plan.columns]
    keys: dict[tuple[tuple[str, ...], bool], list[tuple[int, GroupCheck]]] = {}
    for i, check in enumerate(plan.group):
        key = tuple(order) if check.key is None else tuple(sorted(check.key, key=order.index))
        keys.setdefault((key, check.key is None), []).append((i, check))
    ctes, froms, outer = [], [], []
    h, n = _r("h"), _r("n")
    for j, ((key, whole_row), checks) in enumerate(keys.items()):
        cols = ", ".join(map(ident, key))
        where = "true" if whole_row else _key_nonnull(key)
        hashed = KEY_HASH.format(cols)
        values = sorted({c.value for _, c in checks if c.value}, key=order.index)
        minmax = "".join(f", min({ident(v)}) AS {_r(f'mn{k}')}, max({ident(v)}) AS "
                         f"{_r(f'mx{k}')}" for k, v in enumerate(values))
        c, x = _r(f"c{j}"), _r(f"x{j}")
        ctes += [f"{c} AS MATERIALIZED (SELECT {hashed} AS {h}, count(*) AS {n} "  # noqa: S608
                 f"FROM {source} WHERE {where} GROUP BY ALL)",
                 f"{x} AS (SELECT {cols}, count(*) AS {n}{minmax} FROM {source} "  # noqa: S608
                 f"WHERE {where} AND {hashed} IN (SELECT {h} FROM {c} WHERE {n} > 1) "
                 f"GROUP BY {cols})"]
        froms.append(f"(SELECT coalesce(sum({n}), 0) AS {_r('rows')}, count(*) FILTER "  # noqa: S608
                     f"(WHERE {n} = 1) AS {_r('single')} FROM {c}) AS {_r(f'a{j}')}")
        inner = [f"count(*) AS {_r('groups')}"]
        for i, check in checks:
            shown = [ident(k) for k in (order[:6] if check.key is None else check.key)]
            if check.value is None:
                bad = f"{n} > 1"
                outer.append((f"rows{i}", f"{_r(f'a{j}')}.{_r('rows')}"))
            else:
                k = values.index(check.value)
                bad = f"{_r(f'mn{k}')} <> {_r(f'mx{k}')}"
                inner.append(f"count(*) FILTER (WHERE {bad}) AS {_r(f'bad{i}')}")
                outer.append((f"bad{i}", f"{_r(f'b{j}')}.{_r(f'bad{i}')}"))
                shown += [_r(f"mn{k}"), _r(f"mx{k}")]
            outer.append((f"groups{i}", f"{_r(f'a{j}')}.{_r('single')} + "
                                        f"{_r(f'b{j}')}.{_r('groups')}"))
            if limit:
                inner.append(f"{_smallest(shown, f'({bad})', limit)} AS {_r(f'e{i}')}")
                outer.append((f"e{i}", f"{_r(f'b{j}')}.{_r(f'e{i}')}"))
        froms.append(f"(SELECT {', '.join(inner)} FROM {x}) AS {_r(f'b{j}')}")  # noqa: S608
    if exact:
        sql, items = _distinct(order, source)
        froms.append(f"{sql} AS {_r('d')}")
        outer += [(name, f"{_r('d')}.{_r(name)}") for name, _ in items]
    sql = (f"WITH {', '.join(ctes)} SELECT {', '.join(e for _, e in outer)} "  # noqa: S608
           f"FROM {', '.join(froms)}")
    return sql, [name for name, _ in outer]


def shown_columns(check: GroupCheck, columns: tuple[Col, ...]) -> tuple[str, ...]:
    """Labels of a key check's example values (as :func:`group_pass` lists them)."""
    if check.key is None:
        return tuple(c.name for c in columns[:6])
    return (*check.key, *((check.value, check.value) if check.value else ()))
