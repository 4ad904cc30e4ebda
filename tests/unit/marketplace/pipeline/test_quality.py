"""profile(): sources (Parquet path, connection + table or query), schema and rule/type errors
naming the rule, hostile names and values that stay data, scoring arithmetic recomputed from
the evidence, determinism across thread counts, masked examples, GB 11643 counts on generated
resident IDs."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.demo import make_resident_id
from marketplace.pipeline.checksums import is_valid_resident_id
from marketplace.pipeline.quality import QualityRules, profile
from marketplace.pipeline.quality_report import EXAMPLE_CHARS, mask_example
from marketplace.pipeline.quality_rules import DEFAULT_WEIGHTS, QualityRulesError
from marketplace.pipeline.quality_sql import ident

COLS = [("k", "BIGINT"), ("s", "VARCHAR"), ("d", "DATE")]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i AS k, CAST(i % 7 AS VARCHAR) AS s, "
                "DATE '2025-01-01' + CAST(i % 40 AS INTEGER) AS d FROM range(200) r(i)")
    yield con
    con.close()


def _rules(data: dict) -> QualityRules:
    return QualityRules.from_json(data)


def test_connection_sources_table_and_query(con: duckdb.DuckDBPyConnection) -> None:
    table = profile(con, table_sql="t", columns=COLS)
    query = profile(con, table_sql="SELECT * FROM t WHERE k < 50", columns=COLS)
    assert (table.rows, query.rows) == (200, 50)
    assert [c.distinct for c in table.columns] == [200, 7, 40]
    assert table.score == 100.0


@pytest.mark.parametrize(("columns", "message"), [
    ([("nope", "BIGINT")], "column 'nope' is not in the table"),
    ([("k", "VARCHAR")], "column 'k': declared VARCHAR, found BIGINT"),
    ([("k", "BIGINT"), ("k", "BIGINT")], "distinct names"),
    ([], "distinct names"),
])
def test_schema_errors(con: duckdb.DuckDBPyConnection, columns: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        profile(con, table_sql="t", columns=columns)


def test_source_arguments(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="table_sql is required"):
        profile(con, columns=COLS)
    with pytest.raises(ValueError, match="only for a connection"):
        profile(tmp_path / "x.parquet", table_sql="t", columns=COLS)
    with pytest.raises(ValueError, match="example_limit"):
        profile(con, table_sql="t", columns=COLS, example_limit=21)


@pytest.mark.parametrize(("rules", "message"), [
    ({"consistency": [{"rule": "le", "left": "s", "right": "k"}]},
     "consistency[0]: cannot compare VARCHAR with BIGINT"),
    ({"accuracy": [{"rule": "range", "column": "k", "min": "2025-01-01"}]},
     "accuracy[0]: column 'k' (BIGINT) is not a date/time"),
    ({"accuracy": [{"rule": "range", "column": "d", "min": 3}]},
     "accuracy[0]: column 'd' (DATE) is not numeric"),
    ({"accuracy": [{"rule": "allowed", "column": "k", "values": ["1"]}]},
     "accuracy[0]: strings cannot be compared with BIGINT"),
    ({"accuracy": [{"rule": "allowed", "column": "s", "values": [1]}]},
     "accuracy[0]: numbers cannot be compared with VARCHAR"),
    ({"accuracy": [{"rule": "total", "column": "d", "expected": 1}]}, "accuracy[0]"),
    ({"as_of": "2025-01-01", "timeliness": {"column": "k", "window_days": 1}},
     "timeliness: column 'k' (BIGINT) is not a date"),
    ({"patterns": {"zz": "a"}}, "patterns.zz: unknown column 'zz'"),
])
def test_rules_the_column_types_cannot_satisfy(con: duckdb.DuckDBPyConnection, rules: dict,
                                                message: str) -> None:
    with pytest.raises(QualityRulesError) as info:
        profile(con, table_sql="t", columns=COLS, rules=_rules(rules))
    assert message in str(info.value)


HOSTILE = "x'); DROP TABLE t; --"


def test_hostile_names_and_values_are_data(tmp_path: Path) -> None:
    name = 'a "quoted", 列 \'name\''
    path = tmp_path / "h.parquet"
    with duckdb.connect() as c:
        c.execute("CREATE TABLE t (k BIGINT, v VARCHAR)")
        c.executemany("INSERT INTO t VALUES (?, ?)", [(1, HOSTILE), (2, "ok"), (3, "ok")])
        c.execute(f"COPY (SELECT k, v AS {ident(name)} FROM t) TO '{path}'")
    rules = _rules({"patterns": {name: "x'.*"},
                    "accuracy": [{"rule": "allowed", "column": name, "values": [HOSTILE]}]})
    report = profile(path, columns=[("k", "BIGINT"), (name, "VARCHAR")], rules=rules)
    assert report.check(f"patterns.{name}").failures == 2
    assert report.check("accuracy[0]").failures == 2
    assert report.check("accuracy[0]").examples == (mask_example("ok"),)


def test_overall_score_is_the_weighted_mean_of_the_evidence(
        con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE t SET s = NULL WHERE k % 10 = 0")
    con.execute("UPDATE t SET s = 'seven' WHERE k % 25 = 1")
    rules = {"as_of": "2025-02-05", "semantic_types": {"s": "integer"},
             "timeliness": {"column": "d", "window_days": 10},
             "accuracy": [{"rule": "range", "column": "k", "max": 149}]}
    report = profile(con, table_sql="t", columns=COLS, rules=_rules(rules))
    doc = json.loads(report.to_json())
    checks = {c["id"]: c for c in doc["checks"]}
    for c in doc["checks"]:
        assert c["score"] == round(100 * (c["n"] - c["failures"]) / c["n"], 2)
    assert checks["completeness.s"]["failures"] == 20
    assert checks["semantic_types.s"]["n"] == 180
    assert checks["semantic_types.s"]["failures"] == 8
    assert checks["accuracy[0]"]["failures"] == 50
    # d runs 2025-01-01 … 2025-02-09; fresh: 2025-01-27 … 2025-02-05, later ones are future
    assert checks["timeliness"]["failures"] == 200 - 10 * 5
    assert checks["timeliness"]["detail"] == {"window_days": 10, "as_of": "2025-02-05",
                                              "max_lag_days": -4, "future_rows": 4 * 5}
    dims = {d: [c for c in report.checks if c.dimension == d] for d, _ in DEFAULT_WEIGHTS}
    means = {d: sum(c.score for c in cs) / len(cs) for d, cs in dims.items() if cs}
    weights = dict(DEFAULT_WEIGHTS)
    expected = sum(means[d] * weights[d] for d in means) / sum(weights[d] for d in means)
    assert doc["score"] == round(expected, 2)
    assert doc["dimensions"] == {d: round(means[d], 2) if d in means else None for d in weights}
    no_time = profile(con, table_sql="t", columns=COLS,
                      rules=_rules(rules | {"weights": {"timeliness": 0}}))
    del means["timeliness"]
    expected = sum(means[d] * weights[d] for d in means) / sum(weights[d] for d in means)
    assert round(no_time.score, 9) == round(expected, 9)


def test_parquet_report_is_deterministic_across_threads(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    with duckdb.connect() as c:
        c.execute(f"COPY (SELECT i % 5000 AS k, md5(CAST(i % 3000 AS VARCHAR)) AS s, "
                  f"DATE '2020-01-01' + CAST(i % 900 AS INTEGER) AS d FROM range(30000) r(i)) "
                  f"TO '{path}' (ROW_GROUP_SIZE 2048)")
    rules = _rules({"unique_keys": [["k"], ["s", "d"]], "patterns": {"s": "[0-7].*"},
                    "consistency": [{"rule": "same_value", "key": "k", "value": "s"}]})
    one = profile(path, columns=COLS, rules=rules, config={"threads": 1})
    four = profile(path, columns=COLS, rules=rules, config={"threads": 4})
    assert one.to_json() == four.to_json()
    assert one.check("unique_keys[0]").failures == 25000
    assert len(one.check("patterns.s").examples) == 5
    approx = profile(path, columns=COLS, rules=rules, exact_distinct=False, example_limit=2)
    assert not approx.columns[0].distinct_exact
    assert abs(approx.columns[0].distinct - 5000) < 500
    assert all(len(c.examples) <= 2 for c in approx.checks)


def test_resident_id_column_counts_match_the_validator(tmp_path: Path) -> None:
    rng = random.Random(7)
    values: list[str | None] = []
    for i in range(600):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        rid = make_resident_id(rng, rng.choice(["510603", "510681", "110105"]), birth)
        if i % 9 == 0:  # a wrong check character
            rid = rid[:17] + ("0" if rid[17] != "0" else "1")
        elif i % 13 == 0:  # an impossible birth date
            rid = rid[:10] + "1332" + rid[14:]
        elif i % 17 == 0:
            rid = None
        values.append(rid)
    with duckdb.connect() as c:
        c.execute("CREATE TABLE ids (rid VARCHAR)")
        c.executemany("INSERT INTO ids VALUES (?)", [(v,) for v in values])
        report = profile(c, table_sql="ids", columns=[("rid", "VARCHAR")],
                         rules=_rules({"semantic_types": {"rid": "resident_id"}}))
    present = [v for v in values if v is not None]
    bad = sorted({v for v in present if not is_valid_resident_id(v)})
    check = report.check("semantic_types.rid")
    assert (check.n, check.failures) == (len(present), sum(not is_valid_resident_id(v)
                                                           for v in present))
    assert check.failures > 60
    assert check.examples == tuple(mask_example(v) for v in bad[:5])


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=80)))
def test_mask_example_hides_at_least_half(value: str | None) -> None:
    shown = mask_example(value)
    if value is None:
        assert shown == "NULL"
        return
    visible = sum(1 for a, b in zip(value, shown, strict=False) if a == b and b != "*")
    assert visible <= len(value) // 4 + len(value) // 6 < len(value) or not value
    assert len(shown) == min(len(value), EXAMPLE_CHARS)


def test_examples_are_the_smallest_distinct_even_behind_many_repeats() -> None:
    # 200 × "bad" fill the row pass's heap, so a DISTINCT example pass finds the others.
    values = ["bad"] * 200 + [f"bad{i}" for i in range(9, 0, -1)] + ["1", "2"] * 20
    allowed = [str(i) for i in range(12)]  # 12+ query parameters: $elx_p1 vs $elx_p10
    with duckdb.connect() as c:
        c.execute("CREATE TABLE v (s VARCHAR)")
        c.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
        report = profile(c, table_sql="v", columns=[("s", "VARCHAR")], rules=_rules(
            {"patterns": {"s": "[0-9]+"},
             "accuracy": [{"rule": "allowed", "column": "s", "values": allowed}]}))
    expected = tuple(mask_example(v) for v in ["bad", "bad1", "bad2", "bad3", "bad4"])
    for check_id in ("patterns.s", "accuracy[0]"):
        check = report.check(check_id)
        assert (check.n, check.failures, check.examples) == (249, 209, expected)
