"""k-anonymity planning: the output is k-anonymous within the suppression budget, the chosen
levels are minimal in the lattice (checked by brute force over every node), and planning from
DuckDB GROUP BY counts gives the same plan as planning from rows in memory."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.pipeline.desensitise import age_band
from marketplace.pipeline.kanon import (
    SUPPRESSED,
    GroupCounts,
    KAnonymityInfeasible,
    Ladder,
    k_anonymise,
    plan_k_anonymity,
    suppress_all,
)

COLUMNS = ("age", "sex", "district", "note")
DISTRICT_CITY = {"旌阳区": "德阳市", "广汉市": "德阳市", "武侯区": "成都市", "金牛区": "成都市"}
LADDERS = (
    Ladder("age", (lambda a: age_band(a, 5), lambda a: age_band(a, 10), suppress_all),
           ("exact", "5y", "10y", "*")),
    Ladder("sex", (suppress_all,)),
    Ladder("district", (DISTRICT_CITY.__getitem__, suppress_all)),
)
rows_strategy = st.lists(
    st.tuples(st.integers(18, 70), st.sampled_from("MF"), st.sampled_from(sorted(DISTRICT_CITY)),
              st.text("abc", max_size=2)),
    max_size=60,
)


def _classes(rows: Sequence[tuple[Any, ...]], node: Sequence[int]) -> Counter[tuple[Any, ...]]:
    """Independent of the planner: generalise each QI directly and count."""
    index = [COLUMNS.index(lad.column) for lad in LADDERS]
    return Counter(tuple(lad.apply(r[i], lv) for lad, i, lv in zip(LADDERS, index, node,
                                                                    strict=True)) for r in rows)


def _suppressed(rows, node, k) -> int:
    return sum(n for n in _classes(rows, node).values() if n < k)


@settings(max_examples=60, deadline=None)
@given(rows_strategy, st.integers(1, 6), st.sampled_from([0.0, 0.05, 0.1, 0.3]))
def test_output_is_k_anonymous_and_levels_are_minimal(rows, k: int, max_sup: float) -> None:
    budget = int(max_sup * len(rows) + 1e-9)
    nodes = list(itertools.product(*(range(lad.height + 1) for lad in LADDERS)))
    ok = {n for n in nodes if _suppressed(rows, n, k) <= budget}
    try:
        result = k_anonymise(rows, LADDERS, k, max_sup, columns=COLUMNS)
    except KAnonymityInfeasible:
        assert not ok
        return
    plan = result.plan
    node = plan.levels
    assert node in ok
    # minimal: no satisfying node lies strictly below the chosen one, and none is lower
    assert not any(n != node and all(a <= b for a, b in zip(n, node, strict=True)) for n in ok)
    assert sum(node) == min(sum(n) for n in ok)
    # the released rows are k-anonymous on the QIs, within the suppression budget
    released = Counter(r[:3] for r in result.rows)
    assert all(n >= k for n in released.values())
    assert plan.suppressed_rows == len(rows) - len(result.rows) <= budget
    assert plan.achieved_k == min(released.values(), default=0)
    # non-QI values are untouched and released rows carry the chosen generalisations
    assert Counter(r[3] for r in result.rows) <= Counter(r[3] for r in rows)
    expected = Counter(c for c, n in _classes(rows, node).items() if n >= k
                       for _ in range(n))
    assert released == expected


def test_example_generalises_age_before_suppressing_sex() -> None:
    rows = [(20 + i % 10, "MF"[i % 2], "旌阳区", "") for i in range(40)]
    result = k_anonymise(rows, LADDERS, k=4, columns=COLUMNS)
    # exact ages: 10 classes of 4 rows (age i%10 fixes sex i%2): k=4 holds at the bottom
    assert result.plan.levels == (0, 0, 0) and result.plan.achieved_k == 4
    result = k_anonymise(rows, LADDERS, k=5, columns=COLUMNS)
    # 5-year bands: 20-24 holds M aged 20/22/24 (12 rows) and F aged 21/23 (8); 25-29 the same
    # the other way round.  Suppressing sex or widening district alone keeps classes of 4.
    assert result.plan.levels == (1, 0, 0)
    assert result.plan.achieved_k == 8 and result.plan.suppressed_rows == 0
    assert result.plan.as_dict()["levels"] == {"age": 1, "sex": 0, "district": 0}
    assert {r[0] for r in result.rows} == {"20-24", "25-29"}


def test_ties_between_minimal_nodes_go_to_the_finer_partition() -> None:
    rows = [(a, s, "旌阳区", "") for a, s in ((21, "M"), (21, "F"), (23, "M"), (23, "F"))]
    rows += [(21, "M", "旌阳区", ""), (21, "F", "旌阳区", "")]
    # Both (1,0,0) (bands: M 3, F 3) and (0,1,0) (sex suppressed: 21 -> 4, 23 -> 2) reach k=2
    # at height 1; the discernibility metric 3²+3² = 18 < 4²+2² = 20 picks the age band.
    result = k_anonymise(rows, LADDERS, k=2, columns=COLUMNS)
    assert result.plan.levels == (1, 0, 0) and result.plan.achieved_k == 3


def test_suppression_budget_lets_outliers_go_instead_of_generalising() -> None:
    rows = [(30, "M", "旌阳区", "")] * 10 + [(61, "F", "武侯区", "")]
    strict = k_anonymise(rows, LADDERS, k=5, columns=COLUMNS)
    assert strict.plan.levels == (3, 1, 2) and strict.plan.suppressed_rows == 0
    assert all(r[:3] == (SUPPRESSED,) * 3 for r in strict.rows)
    loose = k_anonymise(rows, LADDERS, k=5, max_suppression=0.1, columns=COLUMNS)
    assert loose.plan.levels == (0, 0, 0) and loose.plan.suppressed_rows == 1
    assert loose.rows == [(30, "M", "旌阳区", "")] * 10


def test_infeasible_and_bad_arguments() -> None:
    rows = [(30, "M", "旌阳区", "")] * 3
    with pytest.raises(KAnonymityInfeasible):
        k_anonymise(rows, LADDERS, k=5, columns=COLUMNS)
    assert k_anonymise(rows, LADDERS, k=5, max_suppression=1.0, columns=COLUMNS).rows == []
    with pytest.raises(ValueError):
        k_anonymise(rows, LADDERS, k=0, columns=COLUMNS)
    with pytest.raises(ValueError):
        k_anonymise(rows, LADDERS, k=2)  # a list of rows needs column names


def test_dict_of_columns_is_accepted() -> None:
    data = {"age": [30, 31, 32, 33], "sex": list("MMMM"), "district": ["旌阳区"] * 4,
            "note": list("abcd")}
    result = k_anonymise(data, LADDERS, k=4)
    assert result.columns == COLUMNS and result.plan.levels == (1, 0, 0)


def test_a_ladder_that_is_not_a_hierarchy_is_rejected() -> None:
    bad = (Ladder("age", (lambda a: age_band(a, 10), lambda a: age_band(a, 5))),)
    with pytest.raises(ValueError, match="not a coarsening"):
        k_anonymise([(21, "M", "旌阳区", ""), (26, "M", "旌阳区", "")], bad, 2, columns=COLUMNS)


@settings(max_examples=25, deadline=None)
@given(rows_strategy.filter(bool), st.integers(2, 5))
def test_plan_from_duckdb_group_by_counts_matches_rows_in_memory(rows, k: int) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE t (age INTEGER, sex VARCHAR, district VARCHAR, note VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    city = " ".join(f"WHEN '{d}' THEN '{c}'" for d, c in DISTRICT_CITY.items())
    band = "(age // {w} * {w})::VARCHAR || '-' || (age // {w} * {w} + {w} - 1)::VARCHAR"
    groups = con.execute(
        f"SELECT age, {band.format(w=5)}, {band.format(w=10)}, '*', sex, '*', district, "
        f"CASE district {city} END, '*', count(*) FROM t GROUP BY ALL"
    ).fetchall()
    counts = GroupCounts([lad.height for lad in LADDERS], groups)
    try:
        in_memory = k_anonymise(rows, LADDERS, k, 0.1, columns=COLUMNS).plan
    except KAnonymityInfeasible:
        with pytest.raises(KAnonymityInfeasible):
            plan_k_anonymity(counts, k, 0.1)
        return
    from_sql = plan_k_anonymity(counts, k, 0.1, columns=[lad.column for lad in LADDERS])
    assert from_sql.levels == in_memory.levels
    assert from_sql.suppressed_rows == in_memory.suppressed_rows
    assert from_sql.achieved_k == in_memory.achieved_k and from_sql.total_rows == len(rows)
