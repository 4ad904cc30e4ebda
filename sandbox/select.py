"""The SELECT list and GROUP BY of a query (issue 7 §3): every output is one grouped
dimension or one aggregate (:mod:`sandbox.aggregates`), and every dimension output is grouped.
HAVING, ORDER BY and LIMIT are in :mod:`sandbox.clauses`.
"""

from __future__ import annotations

from sqlglot import exp

from sandbox.aggregates import aggregate
from sandbox.clauses import alias_index, position
from sandbox.model import Output
from sandbox.resolve import Resolver
from sandbox.rules import reject

__all__ = ["group_by", "outputs"]


def outputs(select: exp.Select, r: Resolver) -> tuple[Output, ...]:
    """The output columns, named by alias or by a canonical label."""
    out = []
    for item in select.expressions:
        alias, node = (item.alias, item.this) if isinstance(item, exp.Alias) else (None, item)
        if isinstance(node, exp.Star):
            reject("sandbox.select.star")
        if isinstance(node, exp.Column):
            col = r.name(node)
            if col not in r.policy.dimensions:
                reject("sandbox.column.not_allowed", col)
            out.append(Output(alias or col, dimension=col))
            continue
        agg = aggregate(node, r)
        if agg is None:
            reject("sandbox.select.expression")
        out.append(Output(alias or agg.label, aggregate=agg))
    if not any(o.aggregate for o in out):
        reject("sandbox.select.no_aggregate")
    return tuple(out)


def group_by(group: exp.Group | None, outs: tuple[Output, ...], r: Resolver) -> tuple[str, ...]:
    """The sorted GROUP BY dimensions; every dimension output must be among them."""
    dims: set[str] = set()
    if group is not None:
        if set(k for k, v in group.args.items() if v) - {"expressions", "all"}:
            reject("sandbox.syntax.not_allowed")
        if group.args.get("all"):
            dims = {o.dimension for o in outs if o.dimension}
        for node in group.expressions:
            i = position(node, outs)
            if i is None and isinstance(node, exp.Column) and node.name.lower() not in {
                    c.lower() for c in r.kinds}:
                i = alias_index(node, outs)
            if i is not None:
                if outs[i].dimension is None:
                    reject("sandbox.group.not_dimension")
                dims.add(outs[i].dimension)  # type: ignore[arg-type]
            else:
                dims.add(r.dimension(node, "sandbox.group.not_dimension"))
    if any(o.dimension not in dims for o in outs if o.dimension):
        reject("sandbox.select.not_grouped")
    return tuple(sorted(dims))


