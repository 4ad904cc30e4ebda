"""Aggregate calls of a query (issue 7 §3): COUNT(*), COUNT(c), COUNT(DISTINCT c), SUM(c) and
AVG(c) over a bare column, each only where the policy allows it (COUNT and COUNT DISTINCT are
always allowed on dimensions; SUM and AVG need a numeric column with declared bounds).
"""

from __future__ import annotations

from sqlglot import exp

from sandbox.model import Aggregate
from sandbox.resolve import Resolver
from sandbox.rules import reject

__all__ = ["aggregate"]


def aggregate(node: exp.Expression, r: Resolver) -> Aggregate | None:
    """The aggregate ``node`` computes, None if it is not an aggregate call."""
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Star) and not node.expressions:
            return Aggregate("count")
        if isinstance(arg, exp.Distinct):
            if len(arg.expressions) != 1 or not isinstance(arg.expressions[0], exp.Column):
                reject("sandbox.distinct.not_allowed")
            return _allowed("count_distinct", r.name(arg.expressions[0]), r)
        func = "count"
    elif isinstance(node, exp.Sum | exp.Avg):
        arg, func = node.this, "sum" if isinstance(node, exp.Sum) else "avg"
        if isinstance(arg, exp.Distinct):
            reject("sandbox.distinct.not_allowed")
    else:
        return None
    if not isinstance(arg, exp.Column) or node.expressions:
        reject("sandbox.select.expression")
    return _allowed(func, r.name(arg), r)


def _allowed(func: str, column: str, r: Resolver) -> Aggregate:
    rule = r.policy.aggregates.get(column)
    by_dimension = func in ("count", "count_distinct") and column in r.policy.dimensions
    if not by_dimension and (rule is None or func not in rule.functions):
        reject("sandbox.aggregate.not_allowed", column)
    if func in ("sum", "avg") and r.kinds[column] not in ("int", "float"):
        reject("sandbox.aggregate.not_allowed", column)
    return Aggregate(func, column)
