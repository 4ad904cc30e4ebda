"""HAVING, ORDER BY and LIMIT (issue 7 §3), kept as data and applied to the *noisy* answer
(:mod:`sandbox.present`), never in the engine: filtering or ranking on exact aggregates before
the noise would reveal them. HAVING accepts ``aggregate op number`` terms joined by AND, over
aggregates that are also outputs; ORDER BY names outputs (by position, alias, dimension or
aggregate); LIMIT is a positive integer within the policy's ``max_rows``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from sandbox.aggregates import aggregate
from sandbox.model import FLIP, Output
from sandbox.resolve import Resolver, number
from sandbox.rules import reject

__all__ = ["HavingTerm", "OrderKey", "alias_index", "having", "limit", "order_by",
           "position"]

_OPS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


@dataclass(frozen=True)
class HavingTerm:
    output: int
    op: str
    value: Decimal


@dataclass(frozen=True)
class OrderKey:
    output: int
    descending: bool = False


def position(node: exp.Expression, outs: tuple[Output, ...]) -> int | None:
    value = number(node) if isinstance(node, exp.Literal) else None
    if value is None:
        return None
    if value != int(value) or not 1 <= value <= len(outs):
        reject("sandbox.order.not_output")
    return int(value) - 1


def alias_index(node: exp.Expression, outs: tuple[Output, ...]) -> int | None:
    if isinstance(node, exp.Column) and not node.args.get("table"):
        for i, o in enumerate(outs):
            if o.name.lower() == node.name.lower():
                return i
    return None


def having(node: exp.Expression | None, outs: tuple[Output, ...],
           r: Resolver) -> tuple[HavingTerm, ...]:
    """AND-ed ``aggregate op number`` terms over output aggregates."""
    if node is None:
        return ()
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return having(node.this, outs, r) + having(node.expression, outs, r)
    if type(node) not in _OPS:
        reject("sandbox.having.not_allowed")
    op, left, right = _OPS[type(node)], node.this, node.expression
    if number(left) is not None:
        op, left, right = FLIP[op], right, left
    value, i = number(right), alias_index(left, outs)
    if i is None:
        agg = aggregate(left, r)
        i = next((j for j, o in enumerate(outs) if agg and o.aggregate == agg), None)
    if value is None or i is None or outs[i].aggregate is None:
        reject("sandbox.having.not_allowed")
    return (HavingTerm(i, op, value),)


def order_by(order: exp.Order | None, outs: tuple[Output, ...],
             r: Resolver) -> tuple[OrderKey, ...]:
    """ORDER BY keys as output positions (by number, alias, dimension or aggregate)."""
    keys = []
    for item in order.expressions if order is not None else ():
        node = item.this
        i = position(node, outs)
        i = alias_index(node, outs) if i is None else i
        if i is None and isinstance(node, exp.Column):
            col = r.name(node)
            i = next((j for j, o in enumerate(outs) if o.dimension == col), None)
        elif i is None:
            agg = aggregate(node, r)
            i = next((j for j, o in enumerate(outs) if agg and o.aggregate == agg), None)
        if i is None:
            reject("sandbox.order.not_output")
        keys.append(OrderKey(i, bool(item.args.get("desc"))))
    return tuple(keys)


def limit(node: exp.Limit | None, max_rows: int) -> int | None:
    """The LIMIT as an int within the policy's maximum (None when absent)."""
    if node is None:
        return None
    if set(k for k, v in node.args.items() if v) - {"expression"}:
        reject("sandbox.limit.invalid")
    value = number(node.expression)
    if value is None or value != int(value) or value < 1:
        reject("sandbox.limit.invalid")
    if value > max_rows:
        reject("sandbox.limit.too_large")
    return int(value)
