"""k-anonymity by full-domain generalisation and row suppression (Samarati 2001, "Protecting
respondents' identities in microdata release"; Sweeney 2002; GB/T 37964-2019 §A.4 泛化/抑制).

Each quasi-identifier (QI) has a :class:`Ladder` of generalisers: level 0 is the raw value,
level ``i`` applies ``ladder.levels[i - 1]`` to the raw value, and each level must be a
coarsening of the one below (checked on the data).  A lattice node is one level per QI.  A node
*satisfies* when the rows in equivalence classes smaller than ``k`` number at most
``floor(max_suppression × rows)`` — those rows are suppressed.  Coarsening only merges classes,
so satisfaction is monotone up the lattice, and the least height with a satisfying node is found
by binary search (Samarati's algorithm).  Every satisfying node of that height is minimal in the
lattice order; among them the plan keeps the most information, i.e. the lowest discernibility
metric (Bayardo & Agrawal 2005: Σ|class|² over released classes + suppressed rows × all rows),
then the fewest suppressed rows, then the lexicographically smallest levels.

The planner needs only class sizes per node, so it works from ``GROUP BY`` counts:
:class:`GroupCounts` takes rows ``(q1_l0, …, q1_lh1, q2_l0, …, count)`` — what
``SELECT <every level of every QI>, count(*) … GROUP BY ALL`` returns in DuckDB — and re-aggregates
them for any node.  :func:`k_anonymise` does the same for rows held in memory.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "SUPPRESSED", "ClassSizes", "GroupCounts", "KAnonPlan", "KAnonResult",
    "KAnonymityInfeasible", "Ladder", "k_anonymise", "plan_k_anonymity", "suppress_all",
]

SUPPRESSED = "*"
MAX_NODES = 100_000


def suppress_all(_value: object) -> str:
    """The top of most ladders: every value becomes :data:`SUPPRESSED`."""
    return SUPPRESSED


class KAnonymityInfeasible(ValueError):
    """No node of the lattice reaches ``k`` within the suppression budget."""


@dataclass(frozen=True)
class Ladder:
    """Generalisation levels of one QI column (level 0, the raw value, is implicit)."""

    column: str
    levels: tuple[Callable[[Any], Any], ...]
    names: tuple[str, ...] = ()  # optional labels of levels 0..height

    @property
    def height(self) -> int:
        return len(self.levels)

    def apply(self, value: object, level: int) -> object:
        return value if level == 0 else self.levels[level - 1](value)

    def name(self, level: int) -> str:
        return self.names[level] if level < len(self.names) else f"level{level}"


@dataclass(frozen=True)
class KAnonPlan:
    """The chosen node: ``levels[i]`` for ``columns[i]``; enough for a SQL compiler to emit
    the generalised columns and drop classes with ``count(*) OVER (PARTITION BY …) < k``."""

    columns: tuple[str, ...]
    levels: tuple[int, ...]
    k: int
    achieved_k: int  # smallest released class; 0 when nothing is released
    suppressed_rows: int
    total_rows: int
    max_suppression: float
    nodes_evaluated: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "levels": dict(zip(self.columns, self.levels, strict=True)), "k": self.k,
            "achieved_k": self.achieved_k, "suppressed_rows": self.suppressed_rows,
            "total_rows": self.total_rows, "max_suppression": self.max_suppression,
        }


class ClassSizes(Protocol):
    """What the planner needs: QI heights, the row count, and class sizes for a node.  A SQL
    compiler may implement it by running one ``GROUP BY`` per node instead."""

    heights: tuple[int, ...]
    total: int

    def __call__(self, node: Sequence[int]) -> list[int]: ...


class GroupCounts:
    """Class sizes for any node, from rows ``(*levels of QI 1, *levels of QI 2, …, count)``
    with ``heights[i] + 1`` value columns for QI ``i``."""

    def __init__(self, heights: Sequence[int], rows: Iterable[Sequence[Any]]) -> None:
        self.heights = tuple(heights)
        self.offsets = tuple(itertools.accumulate((h + 1 for h in self.heights), initial=0))
        width = self.offsets[-1]
        self.rows = [(tuple(r[:width]), int(r[width])) for r in rows]
        self.total = sum(c for _, c in self.rows)
        for q, h in enumerate(self.heights):
            for level in range(h):
                a = self.offsets[q] + level
                parent: dict[object, object] = {}
                for key, _ in self.rows:
                    if parent.setdefault(key[a], key[a + 1]) != key[a + 1]:
                        raise ValueError(f"QI {q}: level {level + 1} is not a coarsening of "
                                         f"level {level} ({key[a]!r} maps to two values)")

    def __call__(self, node: Sequence[int]) -> list[int]:
        cols = [self.offsets[q] + level for q, level in enumerate(node)]
        sizes: Counter[tuple[object, ...]] = Counter()
        for key, count in self.rows:
            sizes[tuple(key[c] for c in cols)] += count
        return list(sizes.values())


def plan_k_anonymity(
    counts: ClassSizes, k: int, max_suppression: float = 0.0,
    columns: Sequence[str] | None = None,
) -> KAnonPlan:
    """The least-generalised node reaching ``k`` (see the module docstring)."""
    heights, total = counts.heights, counts.total
    if k < 1 or not 0 <= max_suppression <= 1:
        raise ValueError("need k >= 1 and 0 <= max_suppression <= 1")
    names = tuple(columns) if columns is not None else tuple(f"q{i}" for i in range(len(heights)))
    size = 1
    for h in heights:
        size *= h + 1
    if size > MAX_NODES:
        raise ValueError(f"lattice of {size} nodes is too large")
    budget = int(Decimal(str(max_suppression)) * total)
    seen: dict[tuple[int, ...], tuple[int, int, int] | None] = {}

    def evaluate(node: tuple[int, ...]) -> tuple[int, int, int] | None:
        """(discernibility, suppressed rows, achieved k), or None if the node fails."""
        if node not in seen:
            sizes = counts(node)
            small = sum(s for s in sizes if s < k)
            released = [s for s in sizes if s >= k]
            dm = sum(s * s for s in released) + small * total
            seen[node] = (dm, small, min(released, default=0)) if small <= budget else None
        return seen[node]

    def at_height(h: int) -> list[tuple[int, ...]]:
        return [n for n in itertools.product(*(range(x + 1) for x in heights)) if sum(n) == h]

    low, high = 0, sum(heights)
    if not any(evaluate(n) for n in at_height(high)):
        raise KAnonymityInfeasible(f"k={k} is not reachable suppressing <= {budget} rows")
    while low < high:  # invariant: some node at height `high` satisfies
        mid = (low + high) // 2
        if any(evaluate(n) for n in at_height(mid)):
            high = mid
        else:
            low = mid + 1
    (_, small, achieved), node = min((r, n) for n in at_height(high) if (r := evaluate(n)))
    return KAnonPlan(names, node, k, achieved, small, total, max_suppression, len(seen))


@dataclass(frozen=True)
class KAnonResult:
    """Released rows (QIs generalised, small classes suppressed) and the plan behind them."""

    plan: KAnonPlan
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def k_anonymise(
    rows: Sequence[Sequence[Any]] | Mapping[str, Sequence[Any]], ladders: Sequence[Ladder],
    k: int, max_suppression: float = 0.0, columns: Sequence[str] | None = None,
) -> KAnonResult:
    """k-anonymise rows in memory: ``rows`` is a list of tuples with ``columns`` or a dict of
    columns; the QIs are the ladders' columns."""
    if isinstance(rows, Mapping):
        columns = tuple(rows)
        rows = list(zip(*(rows[c] for c in columns), strict=True))
    if columns is None:
        raise ValueError("columns are required for a list of rows")
    columns = tuple(columns)
    index = [columns.index(ladder.column) for ladder in ladders]
    keys = [tuple(x for lad, i in zip(ladders, index, strict=True)
                  for x in (lad.apply(row[i], lv) for lv in range(lad.height + 1)))
            for row in rows]
    counts = GroupCounts([lad.height for lad in ladders], ([*key, n] for key, n in
                                                            Counter(keys).items()))
    plan = plan_k_anonymity(counts, k, max_suppression, [lad.column for lad in ladders])
    cols = [counts.offsets[q] + level for q, level in enumerate(plan.levels)]
    released = [tuple(key[c] for c in cols) for key in keys]
    sizes = Counter(released)
    out = []
    for row, qi in zip(rows, released, strict=True):
        if sizes[qi] >= k:
            values = list(row)
            for i, v in zip(index, qi, strict=True):
                values[i] = v
            out.append(tuple(values))
    return KAnonResult(plan, columns, out)
