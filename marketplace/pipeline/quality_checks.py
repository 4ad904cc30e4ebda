"""Compile :class:`~.quality_rules.QualityRules` over a typed schema into checks that the
profiler evaluates in two DuckDB passes: row checks (one ungrouped aggregate) and key checks
(one ``GROUPING SETS`` aggregate).  Each check id is the path of the rule it comes from, so an
error and a report line point at the same place.  Rule values become query parameters."""

from __future__ import annotations

from . import quality_sql as sql
from .quality_plan import Col, GroupCheck, Plan, RowCheck, TotalCheck
from .quality_rules import COMPARISONS, Allowed, Compare, QualityRules, QualityRulesError, Range

__all__ = ["build_plan"]

_COMPARABLE = {"integer": "number", "float": "number", "decimal": "number", "date": "time",
               "timestamp": "time", "string": "string", "boolean": "boolean",
               "timestamptz": "timestamptz"}
_BOUND_CAST = {"date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ"}


def _number(col: Col, rule: str) -> str:
    if col.fam in ("integer", "float", "decimal"):
        return col.q
    if col.fam == "string":
        return f"TRY_CAST({col.q} AS DOUBLE)"
    raise QualityRulesError(rule, f"column {col.name!r} ({col.type}) is not numeric")


def _range(plan: Plan, rule: Range, col: Col, where: str) -> tuple[str, str]:
    temporal = isinstance(rule.min if rule.min is not None else rule.max, str)
    if temporal and col.fam not in _BOUND_CAST:
        raise QualityRulesError(where, f"column {col.name!r} ({col.type}) is not a date/time")
    value = col.q if temporal else _number(col, where)
    parts = []
    for bound, op in ((rule.min, ">="), (rule.max, "<=")):
        if bound is not None:
            p = plan.param(bound)
            parts.append(f"{value} {op} " + (f"CAST({p} AS {_BOUND_CAST[col.fam]})"
                                             if temporal else p))
    return f"({value} IS NOT NULL)", "(" + " AND ".join(parts) + ")"


def _allowed(plan: Plan, rule: Allowed, col: Col, where: str) -> tuple[str, str]:
    textual = isinstance(rule.values[0], str)
    if textual != (col.fam == "string") or col.fam not in ("string", "integer", "float",
                                                           "decimal"):
        kind = "strings" if textual else "numbers"
        raise QualityRulesError(where, f"{kind} cannot be compared with {col.type}")
    values = ", ".join(plan.param(v) for v in rule.values)
    return plan.present(col), f"({col.q} IN ({values}))"


def _compare(rule: Compare, left: Col, right: Col, where: str) -> tuple[str, str]:
    if _COMPARABLE.get(left.fam, "other") != _COMPARABLE.get(right.fam, "other") or (
            left.fam == "other"):
        raise QualityRulesError(where, f"cannot compare {left.type} with {right.type}")
    op = COMPARISONS[rule.rule]
    return f"({left.q} IS NOT NULL AND {right.q} IS NOT NULL)", f"({left.q} {op} {right.q})"


def build_plan(columns: tuple[Col, ...], rules: QualityRules) -> Plan:
    """Every check the rules ask for, plus the ones every element gets (completeness,
    duplicate rows); raises :class:`QualityRulesError` for a rule its column cannot satisfy."""
    rules.check_columns(c.name for c in columns)
    by_name = {c.name: c for c in columns}
    plan = Plan(columns)
    add = plan.add
    for c in columns:
        if c.fam == "string":
            plan.blanks[c.name] = plan.helper(sql.blank(c.q))
        add(RowCheck(f"completeness.{c.name}", "completeness", "non_blank", (c.name,), "true",
                     plan.present(c)))
    every = " AND ".join(plan.present(c) for c in columns)
    add(RowCheck("completeness.row", "completeness", "complete_row", (), "true", every))
    add(GroupCheck("uniqueness.duplicate_rows", "uniqueness", "duplicate_rows", (), None))
    for i, key in enumerate(rules.unique_keys):
        add(GroupCheck(f"unique_keys[{i}]", "uniqueness", "unique_key", key, key))
    types, patterns = dict(rules.semantic_types), dict(rules.patterns)
    for c in columns:
        has = plan.present(c)
        if (kind := types.get(c.name)) is not None:
            helper = sql.semantic_helper(c.q, c.fam, kind)
            ok = sql.semantic_ok(c.q, c.fam, kind, plan.helper(helper) if helper else "")
            add(RowCheck(f"semantic_types.{c.name}", "validity", kind, (c.name,), has, ok,
                         (c.q,)))
        if c.name in patterns:
            ok = f"regexp_full_match({sql.text(c.q, c.fam)}, {plan.param(patterns[c.name])})"
            add(RowCheck(f"patterns.{c.name}", "validity", "pattern", (c.name,), has, ok,
                         (c.q,)))
    for i, rule in enumerate(rules.consistency):
        where = f"consistency[{i}]"
        if isinstance(rule, Compare):
            left, right = by_name[rule.left], by_name[rule.right]
            applies, ok = _compare(rule, left, right, where)
            add(RowCheck(where, "consistency", rule.rule, rule.columns, applies, ok,
                         (left.q, right.q)))
        else:
            add(GroupCheck(where, "consistency", "same_value", rule.columns, rule.key,
                           rule.value))
    if (t := rules.timeliness) is not None:
        _timeliness(plan, by_name[t.column], t.window_days, rules)
    for i, rule in enumerate(rules.accuracy):
        where, col = f"accuracy[{i}]", by_name[rule.column]
        if isinstance(rule, Range):
            applies, ok = _range(plan, rule, col, where)
        elif isinstance(rule, Allowed):
            applies, ok = _allowed(plan, rule, col, where)
        else:
            value = _number(col, where)
            cast = value if col.fam in ("integer", "decimal") else (
                f"TRY_CAST({value} AS DECIMAL(38, 6))")
            add(TotalCheck(where, col.name, cast, rule.expected, rule.tolerance))
            continue
        add(RowCheck(where, "accuracy", rule.rule, (col.name,), applies, ok, (col.q,)))
    return plan


def _timeliness(plan: Plan, col: Col, window_days: int, rules: QualityRules) -> None:
    ts = sql.timestamp(col.q, col.fam)
    if ts is None:
        raise QualityRulesError("timeliness", f"column {col.name!r} ({col.type}) is not a date")
    if rules.as_of is None:
        raise QualityRulesError("timeliness", "needs as_of")
    as_of = f"CAST({plan.param(rules.as_of.isoformat())} AS DATE)"
    cutoff = f"({as_of} + INTERVAL 1 DAY)"
    start = f"({cutoff} - to_days(CAST({plan.param(window_days)} AS INTEGER)))"
    extras = (f"date_diff('day', CAST(max({ts}) AS DATE), {as_of})",
              f"count(*) FILTER (WHERE {ts} >= {cutoff})")
    plan.add(RowCheck(
        "timeliness", "timeliness", "fresh", (col.name,), f"({ts} IS NOT NULL)",
        f"({ts} >= {start} AND {ts} < {cutoff})", (col.q,), extras,
        (("window_days", window_days), ("as_of", rules.as_of.isoformat())),
    ))
