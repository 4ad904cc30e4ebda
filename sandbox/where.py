"""WHERE clauses to canonical predicates (issue 7 §3).

Accepted: a dimension compared with a literal (=, <>, <, <=, >, >=), IN / NOT IN lists,
BETWEEN, combined with AND, NOT, and OR. **OR rule**: every OR may only combine conditions on
one column (a union of value sets or ranges of that column, which IN could express as well);
an OR across columns is the building block of tracker attacks (q(C) = q(C∨T) + q(C∨¬T) −
q(T) − q(¬T)) and is refused. Conjunctions across columns stay allowed: small cells are
suppressed (k) and differences between overlapping cells are hidden by the noise, whose total
is capped by the license's ε budget.

Canonical form (so spellings share a cache key): negation pushed to the leaves (De Morgan holds
in SQL's three-valued logic), BETWEEN as two comparisons, literal-first comparisons flipped,
nested AND/OR flattened, terms sorted and de-duplicated, IN lists sorted and de-duplicated, and
equalities OR-ed on one column merged into one IN list.
"""

from __future__ import annotations

from sqlglot import exp

from sandbox.model import FLIP, NEGATE, And, Cmp, InList, Or, Predicate, columns_of, render
from sandbox.resolve import Resolver
from sandbox.rules import reject

__all__ = ["MAX_TERMS", "predicate"]

MAX_TERMS = 64
_OPS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def predicate(node: exp.Expression, r: Resolver) -> Predicate:
    """The canonical predicate of a WHERE body, or :class:`~sandbox.errors.Rejected`."""
    pred = _canonical(_nnf(node, r, False))
    if _size(pred) > MAX_TERMS:
        reject("sandbox.query.too_complex")
    _check_or(pred)
    return pred


def _nnf(node: exp.Expression, r: Resolver, neg: bool) -> Predicate:
    if isinstance(node, exp.Paren):
        return _nnf(node.this, r, neg)
    if isinstance(node, exp.Not):
        return _nnf(node.this, r, not neg)
    if isinstance(node, exp.And | exp.Or):
        terms = (_nnf(node.this, r, neg), _nnf(node.expression, r, neg))
        return And(terms) if isinstance(node, exp.And) != neg else Or(terms)
    if type(node) in _OPS:
        op, left, right = _OPS[type(node)], node.this, node.expression
        if not isinstance(left, exp.Column):
            op, left, right = FLIP[op], right, left
        if not isinstance(left, exp.Column) or isinstance(right, exp.Column):
            reject("sandbox.where.not_allowed")
        col = r.dimension(left, "sandbox.where.not_dimension")
        return Cmp(col, NEGATE[op] if neg else op, r.literal(right, col))
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            reject("sandbox.subquery.not_allowed")
        col = r.dimension(node.this, "sandbox.where.not_dimension")
        values = tuple(r.literal(v, col) for v in node.expressions)
        if not values or len(values) > 1000:
            reject("sandbox.query.too_complex")
        return InList(col, values, neg)
    if isinstance(node, exp.Between) and not node.args.get("symmetric"):
        col = r.dimension(node.this, "sandbox.where.not_dimension")
        low, high = r.literal(node.args["low"], col), r.literal(node.args["high"], col)
        if neg:
            return Or((Cmp(col, "<", low), Cmp(col, ">", high)))
        return And((Cmp(col, ">=", low), Cmp(col, "<=", high)))
    return reject("sandbox.where.not_allowed")


def _canonical(pred: Predicate) -> Predicate:
    if isinstance(pred, InList):
        values = tuple(sorted(set(pred.values)))  # type: ignore[type-var]
        if len(values) == 1:
            return Cmp(pred.column, "<>" if pred.negated else "=", values[0])
        return InList(pred.column, values, pred.negated)
    if isinstance(pred, Cmp):
        return pred
    kind = type(pred)
    flat: list[Predicate] = []
    for term in (_canonical(t) for t in pred.terms):
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    if kind is Or:
        flat = _merge_equalities(flat)
    unique = {render(t): t for t in flat}
    terms = tuple(unique[key] for key in sorted(unique))
    return terms[0] if len(terms) == 1 else kind(terms)


def _merge_equalities(terms: list[Predicate]) -> list[Predicate]:
    """``a = 1 OR a = 2 OR a IN (3)`` → ``a IN (1, 2, 3)`` (canonicalised again)."""
    pools: dict[str, list[object]] = {}
    rest: list[Predicate] = []
    for t in terms:
        if isinstance(t, Cmp) and t.op == "=":
            pools.setdefault(t.column, []).append(t.value)
        elif isinstance(t, InList) and not t.negated:
            pools.setdefault(t.column, []).extend(t.values)
        else:
            rest.append(t)
    merged = [_canonical(InList(c, tuple(v), False)) for c, v in pools.items()]  # type: ignore[arg-type]
    return rest + merged


def _check_or(pred: Predicate) -> None:
    if isinstance(pred, Or) and len(columns_of(pred)) > 1:
        reject("sandbox.where.or_across_columns")
    if isinstance(pred, And | Or):
        for t in pred.terms:
            _check_or(t)


def _size(pred: Predicate) -> int:
    if isinstance(pred, Cmp):
        return 1
    if isinstance(pred, InList):
        return 1
    return sum(_size(t) for t in pred.terms)
