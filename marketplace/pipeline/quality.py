"""Data-quality profile of a pipeline output per GB/T 36344-2018 (issue 4 §4), computed in
DuckDB: :func:`profile` → :class:`~.quality_report.QualityReport`.

Two queries whatever the rules, a row pass and a key pass (see :mod:`.quality_passes` and
:mod:`.quality_keys`; rarely a third for examples), one result row each; rows never come into
Python, and DuckDB spills to disk past its memory limit, so the table may be far larger than
memory.  The rules format is
in :mod:`.quality_rules`, the checks in :mod:`.quality_checks`, scoring in
:mod:`.quality_report`.  Every count is exact: check characters (GB 11643, GB 32100) are
computed in SQL on every row, not on a sample.  Examples are the smallest distinct failing
values, masked, so the report is deterministic and leaks no identifier.

    report = profile("out.parquet", columns=[("uscc", "VARCHAR")],
                     rules=QualityRules.from_json({"semantic_types": {"uscc": "uscc"}}))
    report.score, report.check("semantic_types.uscc").failures, report.to_json()
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb

from .quality_checks import build_plan
from .quality_keys import group_pass, shown_columns
from .quality_passes import HEAP, example_pass, row_pass
from .quality_plan import Col, TotalCheck
from .quality_report import CheckResult, ColumnProfile, QualityReport, render_example
from .quality_rules import QualityRules
from .quality_sql import RESERVED, family

__all__ = ["CheckResult", "ColumnProfile", "QualityReport", "QualityRules", "profile"]

MAX_EXAMPLES = 20
_QUERY_WORDS = ("select", "with", "from", "values")


def profile(
    source: duckdb.DuckDBPyConnection | str | os.PathLike[str],
    *,
    columns: Sequence[tuple[str, str]],
    rules: QualityRules | None = None,
    table_sql: str | None = None,
    example_limit: int = 5,
    exact_distinct: bool = True,
    config: Mapping[str, Any] | None = None,
) -> QualityReport:
    """Profile ``columns`` (name, DuckDB type) of a Parquet file (``source`` a path; opened
    on a new in-memory connection with DuckDB ``config``, e.g. ``memory_limit`` and the
    ``temp_directory`` it spills to — DuckDB's default is ``.tmp`` in the working directory) or of
    ``table_sql`` on the connection ``source``.  ``table_sql`` is trusted SQL from the
    pipeline — a table or view name, a table function call or a query — never user input.
    ``exact_distinct=False`` estimates per-column distinct counts (HyperLogLog), which no
    score depends on, to save the largest hash tables of the scan."""
    if not 0 <= example_limit <= MAX_EXAMPLES:
        raise ValueError(f"example_limit must be in 0..{MAX_EXAMPLES}")
    rules = rules if rules is not None else QualityRules()
    if isinstance(source, duckdb.DuckDBPyConnection):
        if not table_sql:
            raise ValueError("table_sql is required with a connection")
        text = table_sql.strip()
        relation = f"({text})" if text.split(None, 1)[0].lower() in _QUERY_WORDS else text
        return _profile(source, relation, {}, columns, rules, example_limit, exact_distinct)
    if table_sql is not None:
        raise ValueError("table_sql is only for a connection source")
    with duckdb.connect(config=dict(config or {})) as con:
        src = {"elx_source": os.fspath(source)}
        return _profile(con, "read_parquet($elx_source)", src, columns, rules, example_limit,
                        exact_distinct)


def _schema(con: duckdb.DuckDBPyConnection, relation: str, params: dict[str, object],
            columns: Sequence[tuple[str, str]]) -> tuple[Col, ...]:
    describe = f"DESCRIBE SELECT * FROM {relation}"  # noqa: S608 — trusted relation
    actual = {row[0]: row[1] for row in con.execute(describe, params).fetchall()}
    names = [name for name, _ in columns]
    if len(set(names)) != len(names) or not names:
        raise ValueError("columns must be one or more distinct names")
    out = []
    for name, declared in columns:
        if name not in actual:
            raise ValueError(f"column {name!r} is not in the table")
        if name.startswith(RESERVED) or family(declared) != family(actual[name]):
            raise ValueError(f"column {name!r}: declared {declared}, found {actual[name]}")
        out.append(Col(name, actual[name]))
    return tuple(out)


def _query(con: duckdb.DuckDBPyConnection, built: tuple[str, list[str]],
           params: dict[str, object]) -> dict[str, Any]:
    sql, names = built
    names_used = set(re.findall(r"\$(elx_\w+)", sql))  # DuckDB rejects unused parameters
    used = {k: v for k, v in params.items() if k in names_used}
    row = con.execute(sql, used).fetchone()
    assert row is not None  # an ungrouped aggregate returns exactly one row
    return dict(zip(names, row, strict=True))


def _examples(labels: Sequence[str], found: list[list[str | None]] | None) -> tuple[str, ...]:
    return tuple(render_example(labels, values) for values in found or ())


def _smallest_distinct(heap: list[list[str | None]] | None, limit: int) -> list | None:
    """The first ``limit`` distinct tuples of a sorted heap, or None when a full heap holds
    fewer (more distinct failing values may exist beyond it)."""
    distinct = list(dict.fromkeys(tuple(t) for t in heap or ()))
    if len(distinct) < limit and len(heap or ()) == HEAP * limit:
        return None
    return [list(t) for t in distinct[:limit]]


def _profile(con: duckdb.DuckDBPyConnection, relation: str, source_params: dict[str, object],
             columns: Sequence[tuple[str, str]], rules: QualityRules, limit: int,
             exact: bool) -> QualityReport:
    cols = _schema(con, relation, source_params, columns)
    plan = build_plan(cols, rules)
    params = plan.params | source_params
    r = _query(con, row_pass(plan, relation, limit, exact), params)
    examples = {i: _smallest_distinct(r.get(f"e{i}"), limit) for i in range(len(plan.row))}
    if retry := [i for i, found in examples.items() if found is None]:
        again = _query(con, example_pass(plan, relation, limit, retry), params)
        examples |= {i: again[f"e{i}"] for i in retry}
    results: dict[str, CheckResult] = {}
    for i, c in enumerate(plan.row):
        detail = c.detail
        if c.kind == "fresh":
            detail += (("max_lag_days", r[f"x{i}.0"]), ("future_rows", r[f"x{i}.1"]))
        results[c.id] = CheckResult(c.id, c.dimension, c.kind, c.columns, r[f"n{i}"],
                                    r[f"f{i}"], _examples(c.columns, examples[i]), detail)
    for i, t in enumerate(plan.totals):
        results[t.id] = _total(t, r[f"sum{i}"], r[f"cnt{i}"])
    g = _query(con, group_pass(plan, relation, limit, exact), params)
    for i, c in enumerate(plan.group):
        if c.value is None:
            n, failures = int(g[f"rows{i}"]), int(g[f"rows{i}"]) - g[f"groups{i}"]
        else:
            n, failures = g[f"groups{i}"], g[f"bad{i}"]
        results[c.id] = CheckResult(c.id, c.dimension, c.kind, c.columns, n, failures,
                                    _examples(shown_columns(c, cols), g.get(f"e{i}")))
    types, counted = dict(rules.semantic_types), g if exact else r
    profiles = []
    for j, c in enumerate(cols):
        nulls = r["rows"] - r[f"nonnull{j}"]  # blanks: the rest of the completeness failures
        blanks = results[f"completeness.{c.name}"].failures - nulls
        profiles.append(ColumnProfile(c.name, c.type, r["rows"], nulls, blanks,
                                      counted[f"distinct{j}"], types.get(c.name), exact))
    return QualityReport(r["rows"], tuple(profiles), tuple(results[i] for i in plan.order),
                         rules.weights, None if rules.as_of is None else rules.as_of.isoformat())


def _total(t: TotalCheck, actual: object, count: int) -> CheckResult:
    """A reference total passes when ``|actual - expected| <= tolerance × |expected|`` (or
    ``<= tolerance`` when 0 is expected), compared exactly in decimal."""
    detail: tuple[tuple[str, Any], ...] = (("expected", t.expected), ("tolerance", t.tolerance),
                                           ("values", count))
    if actual is None:
        return CheckResult(t.id, "accuracy", "total", (t.column,), 0, 0, (), detail)
    got, want = Decimal(str(actual)), Decimal(str(t.expected))
    allowed = Decimal(str(t.tolerance)) * (abs(want) if want else 1)
    shown = actual if isinstance(actual, int) else float(got)
    return CheckResult(t.id, "accuracy", "total", (t.column,), 1, int(abs(got - want) > allowed),
                       (), (("actual", shown), *detail))

