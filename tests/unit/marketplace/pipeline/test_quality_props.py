"""Invariants of quality scores on random tables (hypothesis): every score is in 0..100 and
None exactly when nothing was checked; the report is JSON and deterministic; a row that fails
a dimension's checks never raises that dimension's score (overall or per column); an all-null
column scores 0 for completeness and a full one 100."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.pipeline.quality import QualityReport, QualityRules, profile
from marketplace.pipeline.quality_rules import DIMENSIONS

COLUMNS = [("k", "BIGINT"), ("s", "VARCHAR"), ("x", "BIGINT"), ("y", "BIGINT"), ("d", "DATE")]
RULES = QualityRules.from_json({
    "as_of": "2025-01-10",
    "semantic_types": {"s": "integer"}, "patterns": {"s": "[0-9]{1,2}"},
    "unique_keys": [["k"]],
    "consistency": [{"rule": "le", "left": "x", "right": "y"},
                    {"rule": "same_value", "key": ["k"], "value": "s"}],
    "timeliness": {"column": "d", "window_days": 5},
    "accuracy": [{"rule": "range", "column": "x", "min": 0, "max": 3},
                 {"rule": "allowed", "column": "s", "values": ["1", "2", "3"]},
                 {"rule": "total", "column": "y", "expected": 10, "tolerance": 0.1}],
})
Row = tuple[Any, ...]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


rows_strategy = st.lists(st.tuples(
    _maybe(st.integers(0, 4)), _maybe(st.sampled_from(["1", "2", "3", "12", "x", "", " ", "7"])),
    _maybe(st.integers(-1, 5)), _maybe(st.integers(-1, 5)),
    _maybe(st.dates(dt.date(2024, 12, 25), dt.date(2025, 1, 15))),
), max_size=25)


_CONNECTIONS: dict[int, duckdb.DuckDBPyConnection] = {}


def _profile(rows: list[Row], rules: QualityRules = RULES, threads: int = 1) -> QualityReport:
    """Profile ``rows`` in a fresh table of a per-process connection with ``threads``."""
    if threads not in _CONNECTIONS:
        _CONNECTIONS[threads] = duckdb.connect(config={"threads": threads})
    con = _CONNECTIONS[threads]
    con.execute("CREATE OR REPLACE TABLE t (k BIGINT, s VARCHAR, x BIGINT, y BIGINT, d DATE)")
    if rows:  # one statement: executemany prepares and runs one per row
        marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO t VALUES {marks}", [v for row in rows for v in row])
    return profile(con, table_sql="t", columns=COLUMNS, rules=rules)


def _scores(report: QualityReport) -> list[float | None]:
    out: list[float | None] = [report.score, *report.dimension_scores().values()]
    for name, _ in COLUMNS:
        out += [report.column_score(name), *report.dimension_scores(name).values()]
    return out + [c.score for c in report.checks]


@settings(max_examples=15, deadline=None)
@given(rows_strategy)
def test_scores_are_bounded_json_and_deterministic(rows: list[Row]) -> None:
    report = _profile(rows)
    assert all(s is None or 0 <= s <= 100 for s in _scores(report))
    for check in report.checks:
        assert 0 <= check.failures <= check.n
        assert (check.score is None) == (check.n == 0)
        assert len(check.examples) <= 5
    text = report.to_json()
    assert json.loads(text) == report.to_dict()
    assert _profile(rows, threads=3).to_json() == text


def _failing_row(dimension: str, rows: list[Row], data: st.DataObject) -> Row | None:
    """A row that fails every check of ``dimension`` it is counted in."""
    if dimension == "completeness":
        return (None, None, None, None, None)
    if dimension == "validity":
        return (None, data.draw(st.sampled_from(["x!", "1.5", "-", "+a"])), None, None, None)
    if dimension == "uniqueness":
        return data.draw(st.sampled_from(rows)) if rows else None
    if dimension == "consistency":
        keyed = [r for r in rows if r[0] is not None and r[1] is not None]
        if not keyed:
            return None
        k, s = data.draw(st.sampled_from(keyed))[:2]
        return (k, s + "0", 5, 0, None)  # x > y, and a second value for the same k
    if dimension == "timeliness":
        return (None, None, None, None, data.draw(st.dates(dt.date(2000, 1, 1),
                                                           dt.date(2025, 1, 5))))
    return (None, "9", 7, None, None)  # accuracy: out of range, not allowed, total unchanged


@settings(max_examples=24, deadline=None)
@given(rows_strategy, st.sampled_from(DIMENSIONS), st.data())
def test_a_failing_row_never_raises_its_dimension(rows: list[Row], dimension: str,
                                                  data: st.DataObject) -> None:
    row = _failing_row(dimension, rows, data)
    if row is None:
        return
    before, after = _profile(rows), _profile([*rows, row])
    pairs = [(before.dimension_scores()[dimension], after.dimension_scores()[dimension])]
    pairs += [(before.dimension_scores(c)[dimension], after.dimension_scores(c)[dimension])
              for c, _ in COLUMNS]
    pairs += [(b.score, a.score) for b, a in zip(before.checks, after.checks, strict=True)
              if b.dimension == dimension]
    for old, new in pairs:
        if old is not None:
            assert new is not None and new <= old, (dimension, row)


@settings(max_examples=6, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=20))
def test_completeness_of_an_empty_column_is_0_and_of_a_full_one_100(xs: list[int]) -> None:
    rows = [(x, None if i % 2 else " ", x, None, dt.date(2025, 1, 1)) for i, x in enumerate(xs)]
    report = _profile(rows, QualityRules())
    assert report.dimension_scores("s")["completeness"] == 0
    assert report.dimension_scores("y")["completeness"] == 0
    assert report.dimension_scores("k")["completeness"] == 100
    assert report.dimension_scores("d")["completeness"] == 100
    assert report.check("completeness.row").score == 0
    full = _profile([(x, "1", x, x, dt.date(2025, 1, 1)) for x in xs], QualityRules())
    assert full.dimension_scores()["completeness"] == 100


@settings(max_examples=20, deadline=None)
@given(rows_strategy.map(lambda rows: rows + rows[: len(rows) // 3]), st.sampled_from([1, 2, 3]))
def test_key_counts_are_exact_whatever_the_hash_collisions(rows: list[Row], modulus: int
                                                           ) -> None:
    """The key pass groups 64-bit hashes first (quality_keys); with a hash that collides all
    the time (modulus 1: every row goes to the exact GROUP BY) the report is the same."""
    from unittest import mock

    from marketplace.pipeline import quality_keys

    report = _profile(rows).to_json()
    weak = f"(hash({{}}) % {modulus})"
    with mock.patch.object(quality_keys, "KEY_HASH", weak):
        assert _profile(rows).to_json() == report
    keyed = [r for r in rows if r[0] is not None]
    check = json.loads(report)["checks"]
    by_id = {c["id"]: c for c in check}
    assert by_id["uniqueness.duplicate_rows"]["failures"] == len(rows) - len(set(rows))
    assert by_id["unique_keys[0]"]["failures"] == len(keyed) - len({r[0] for r in keyed})
