"""Vetting of buyer SQL with sqlglot's DuckDB dialect (issue 7 §3).

Three gates, each deny-by-default: (1) exactly one statement, a SELECT, no comments; (2) every
node of the tree is of an allowed type (anything else is refused with the rule of its family:
function, window, subquery, join, table function, sample, VALUES, placeholder); (3) the
semantic builders (:mod:`.where`, :mod:`.select`) accept only the exact shapes they understand.
What passes becomes a :class:`~sandbox.vetted.VettedQuery`; the executed SQL is re-rendered
from it (:mod:`.rewrite`), so no text of the buyer's reaches the engine.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from sandbox.clauses import having, limit, order_by
from sandbox.errors import PolicyError, Rejected
from sandbox.policy import QueryPolicy
from sandbox.resolve import Resolver
from sandbox.rules import reject
from sandbox.select import group_by, outputs
from sandbox.vetted import VettedQuery
from sandbox.where import predicate

__all__ = ["MAX_NODES", "MAX_SQL", "check_policy", "vet"]

MAX_SQL, MAX_NODES = 20_000, 4_000
_ALLOWED = (exp.Select, exp.From, exp.Table, exp.TableAlias, exp.Identifier, exp.Column,
            exp.Alias, exp.Count, exp.Sum, exp.Avg, exp.Star, exp.Distinct, exp.Where,
            exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit, exp.Literal, exp.Neg,
            exp.Paren, exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT,
            exp.LTE, exp.In, exp.Between, exp.Boolean, exp.Cast, exp.DataType)
_ROW_REVEALING = {"list", "array_agg", "string_agg", "group_concat", "listagg", "histogram",
                  "arg_max", "arg_min", "argmax", "argmin", "max_by", "min_by", "first",
                  "last", "any_value", "arbitrary", "min", "max", "mode", "median",
                  "quantile", "quantile_cont", "quantile_disc", "approx_quantile",
                  "reservoir_quantile", "bit_and", "bit_or", "bit_xor", "bool_and",
                  "bool_or", "array_agg_distinct", "entropy", "kurtosis", "skewness",
                  "percentile_disc", "percentile_cont", "logical_and", "logical_or",
                  "bitwise_and_agg", "bitwise_or_agg", "bitwise_xor_agg", "array_unique_agg",
                  "approx_top_k", "bitstring_agg", "json_group_array", "json_group_object",
                  "map_agg", "array_concat_agg"}
_W, _S = "sandbox.window.not_allowed", "sandbox.subquery.not_allowed"
_FAMILIES = ((exp.Window, _W), (exp.Qualify, _W), (exp.Join, "sandbox.join.not_allowed"),
             (exp.Lateral, "sandbox.join.not_allowed"),
             (exp.TableSample, "sandbox.sample.not_allowed"),
             (exp.Values, "sandbox.values.not_allowed"),
             (exp.Placeholder, "sandbox.parameter.not_allowed"),
             (exp.Parameter, "sandbox.parameter.not_allowed"),
             (exp.Offset, "sandbox.offset.not_allowed"),
             (exp.Query, _S), (exp.Subquery, _S), (exp.With, _S), (exp.CTE, _S))
_SELECT_ARGS = {"expressions", "from_", "where", "group", "having", "order", "limit"}


def vet(sql: str, policy: QueryPolicy, columns: Mapping[str, str]) -> VettedQuery:
    """Vet ``sql`` against ``policy`` for an element whose schema is ``columns`` (name →
    DuckDB type). Returns the vetted query or raises :class:`~sandbox.errors.Rejected`."""
    check_policy(policy, columns)
    if not isinstance(sql, str) or len(sql) > MAX_SQL:
        reject("sandbox.syntax.too_long")
    try:
        tree = _parse(sql)
        return _build(tree, Resolver(policy, columns))
    except Rejected:
        raise
    except RecursionError:
        reject("sandbox.query.too_complex")
    except Exception:  # any other parser or builder failure is just a refusal
        reject("sandbox.syntax.invalid")


def check_policy(policy: QueryPolicy, columns: Mapping[str, str]) -> None:
    """Raise PolicyError when the policy names columns the element does not have."""
    named = {policy.identity, *policy.dimensions, *policy.aggregates}
    if missing := sorted(named - set(columns)):
        raise PolicyError({"/": f"unknown columns: {', '.join(missing)}"})


def _parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        reject("sandbox.syntax.invalid")
    if len(statements) != 1:
        reject("sandbox.statement.count")
    tree = statements[0]
    if not isinstance(tree, exp.Select):
        reject("sandbox.subquery.not_allowed" if isinstance(tree, exp.SetOperation)
               else "sandbox.statement.not_select")
    for count, node in enumerate(tree.walk()):
        if count > MAX_NODES:
            reject("sandbox.query.too_complex")
        if node.comments:
            reject("sandbox.syntax.comment")
        if node is not tree:
            _allow(node)
    return tree


def _allow(node: exp.Expression) -> None:
    if isinstance(node, exp.Func) and isinstance(node.parent, exp.Table | exp.From):
        reject("sandbox.table_function.not_allowed")
    if isinstance(node, _ALLOWED) and not isinstance(node, exp.Query):
        return
    if isinstance(node, exp.IgnoreNulls | exp.RespectNulls) and isinstance(node.this, exp.Func):
        node = node.this
    for family, rule in _FAMILIES:
        if isinstance(node, family):
            reject(rule)
    if isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in _ROW_REVEALING or isinstance(node, exp.AnyValue | exp.First | exp.Last):
            reject("sandbox.aggregate.row_revealing")
        reject("sandbox.function.not_allowed")
    reject("sandbox.syntax.not_allowed")


def _table(select: exp.Select, r: Resolver) -> None:
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        reject("sandbox.table_function.not_allowed" if table is not None
               else "sandbox.from.not_element")
    if set(k for k, v in table.args.items() if v) - {"this", "alias"}:
        reject("sandbox.from.not_element")
    name = table.name
    if any(c in name for c in "/\\.:*?") or "://" in name:
        reject("sandbox.table_function.not_allowed")
    if name.lower() != r.policy.table:
        reject("sandbox.from.not_element")
    if table.args.get("alias") is not None and table.args["alias"].columns:
        reject("sandbox.syntax.not_allowed")  # FROM element AS e(a, b): renamed columns
    if table.alias:
        r.qualifiers = {r.policy.table, table.alias.lower()}


def _build(select: exp.Select, r: Resolver) -> VettedQuery:
    extra = {k for k, v in select.args.items() if v} - _SELECT_ARGS
    if "distinct" in extra:
        reject("sandbox.distinct.not_allowed")
    if "offset" in extra:
        reject("sandbox.offset.not_allowed")
    if extra & {"joins", "laterals"}:
        reject("sandbox.join.not_allowed")
    if extra:
        reject("sandbox.syntax.not_allowed")
    _table(select, r)
    outs = outputs(select, r)
    where = select.args.get("where")
    having_node = select.args.get("having")
    aggs = sorted({o.aggregate for o in outs if o.aggregate}, key=lambda a: a.label)
    return VettedQuery(
        table=r.policy.table, identity=r.policy.identity,
        dimensions=group_by(select.args.get("group"), outs, r), aggregates=tuple(aggs),
        where=predicate(where.this, r) if where is not None else None, outputs=outs,
        having=having(having_node.this if having_node else None, outs, r),
        order=order_by(select.args.get("order"), outs, r),
        limit=limit(select.args.get("limit"), r.policy.max_rows), max_rows=r.policy.max_rows,
        policy_digest=r.policy.digest())
