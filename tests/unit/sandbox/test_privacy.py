"""Privacy on the result (issue 7 §4): k-suppression, OpenDP noise, ε accounting and the
free post-processing of a cached release."""

from __future__ import annotations

import json
import statistics
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import (
    BudgetExhausted,
    OpenDPLaplace,
    PolicyError,
    QueryPolicy,
    Rejected,
    apply_privacy,
    charge,
    plan,
    present,
    release_from_dict,
    release_to_dict,
    vet,
)
from sandbox.noise import split_epsilon
from tests.unit.sandbox.conftest import COLUMNS, POLICY_DOC, ZeroNoise

POLICY = QueryPolicy.from_dict(POLICY_DOC)
SQL = ("SELECT district, count(*) AS n, avg(income) AS mean, sum(income) AS total "
       "FROM element GROUP BY district")


def prepared(sql: str = SQL):
    vetted = vet(sql, POLICY, COLUMNS)
    return vetted, plan(vetted, POLICY, COLUMNS)


def test_plan_layout_and_mechanisms_share_sum_and_count():
    _vetted, execution = prepared()
    # avg(income) needs sum(income) and count(income); sum(income) is not measured twice
    assert [m.label for m in execution.mechanisms] == ["count(*)", "count(income)",
                                                      "sum(income)"]
    assert [m.sensitivity for m in execution.mechanisms] == [1, 1, 200000]
    assert all(m.integer for m in execution.mechanisms)
    assert execution.params == (0, 200000)
    assert execution.sql.startswith('SELECT "district", count("id"), ')  # C = 1: no DISTINCT
    two = QueryPolicy.from_dict({**POLICY_DOC, "max_rows_per_identity": 2})
    assert 'count(DISTINCT "id")' in plan(vet(SQL, two, COLUMNS), two, COLUMNS).sql


def rows_for(groups: dict[str, int]):
    # district, identities, count(*), count(income), sum(income)
    return [(d, n, n, n, n * 1000) for d, n in groups.items()]


def test_groups_below_k_are_suppressed_and_identity_counts_never_released():
    vetted, execution = prepared()
    release = apply_privacy(rows_for({"B": 5, "A": 40, "Z": 1, "C": 4}), execution,
                            max_rows_per_identity=1, noise=ZeroNoise())
    assert release.suppressed == 2
    assert [r[0] for r in release.rows] == ["A", "B"]  # sorted, Z and C gone
    assert release.rows[0] == ("A", 40, 40, 40000)  # no identity-count column
    answer = present(release, vetted)
    assert answer.columns == ("district", "n", "mean", "total")
    assert answer.rows == (("A", 40, 1000.0, 40000), ("B", 5, 1000.0, 5000))


def test_the_full_epsilon_is_charged_even_when_everything_is_suppressed():
    _, execution = prepared()
    release = apply_privacy(rows_for({"Z": 1}), execution, max_rows_per_identity=1)
    assert release.rows == () and release.suppressed == 1
    assert release.epsilon_spent == Decimal("1")
    assert len(release.mechanism_epsilons) == 3


def test_a_broken_contribution_bound_releases_nothing():
    _, execution = prepared()
    with pytest.raises(PolicyError):
        apply_privacy(rows_for({"A": 40}), execution, max_rows_per_identity=2)


def test_too_many_groups_are_refused():
    policy = QueryPolicy.from_dict({**POLICY_DOC, "max_groups": 100})
    vetted = vet("SELECT age, count(*) FROM element GROUP BY age", policy, COLUMNS)
    execution = plan(vetted, policy, COLUMNS)
    rows = [(a, 10, 10) for a in range(101)]
    with pytest.raises(Rejected) as err:
        apply_privacy(rows, execution, max_rows_per_identity=1)
    assert err.value.rule == "sandbox.result.too_many_groups"


def test_real_noise_changes_values_with_the_calibrated_spread():
    _, execution = prepared("SELECT age, count(*) FROM element GROUP BY age")
    rows = [(a, 1000, 1000) for a in range(2000)]
    release = apply_privacy(rows, execution, max_rows_per_identity=1)
    errors = [r[1] - 1000 for r in release.rows]
    # one mechanism, ε = 1, Δ = 1 → Laplace scale 1: mean |error| ≈ 1, centred on 0
    assert sum(e != 0 for e in errors) > 1000
    assert 0.7 < statistics.mean(abs(e) for e in errors) < 1.3
    assert abs(statistics.mean(errors)) < 0.15
    assert all(isinstance(r[1], int) for r in release.rows)


@given(total=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100"), places=3),
       parts=st.integers(1, 9))
def test_epsilon_shares_never_sum_above_the_query_budget(total, parts):
    share = split_epsilon(total, parts)
    assert share > 0 and Fraction(share) * parts <= Fraction(total)


@settings(max_examples=30, deadline=None)
@given(total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10"), places=2),
       sensitivity=st.one_of(st.integers(1, 10**6),
                             st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e6"),
                                         places=3)),
       parts=st.integers(1, 5))
def test_opendp_certifies_at_most_each_share(total, sensitivity, parts):
    share = split_epsilon(total, parts)
    integer = isinstance(sensitivity, int)
    spent = [OpenDPLaplace().laplace([1, 2], sensitivity, share, integer)[1]
             for _ in range(parts)]
    assert sum(Fraction(s) for s in spent) <= Fraction(total)


@given(costs=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3"),
                                  places=2), max_size=30),
       limit=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("20"), places=1))
def test_charges_never_exceed_the_license_budget(costs, limit):
    spent, paid = Decimal(0), []
    for cost in costs:
        try:
            spent = charge(spent, cost, limit)
            paid.append(cost)
        except BudgetExhausted as exc:
            assert exc.rule == "sandbox.budget.exhausted"
            assert spent + cost > limit
    assert spent == sum(paid, Decimal(0)) <= limit


def test_having_order_and_limit_apply_to_noisy_values_for_free():
    vetted = vet("SELECT district AS d, count(*) AS n FROM element GROUP BY d "
                 "HAVING n >= 10 ORDER BY n DESC LIMIT 2", POLICY, COLUMNS)
    execution = plan(vetted, POLICY, COLUMNS)
    release = apply_privacy([(d, n, n) for d, n in [("A", 30), ("B", 8), ("C", 50),
                                                    ("D", 12)]],
                            execution, max_rows_per_identity=1, noise=ZeroNoise())
    answer = present(release, vetted)
    assert answer.rows == (("C", 50), ("A", 30)) and not answer.truncated
    # another presentation of the same release spends nothing new
    other = vet("SELECT count(*) AS n, district FROM element GROUP BY district ORDER BY 2",
                POLICY, COLUMNS)
    assert other.fingerprint == vetted.fingerprint
    assert present(release, other).rows[0] == (30, "A")


def test_policy_max_rows_truncates_and_says_so():
    policy = QueryPolicy.from_dict({**POLICY_DOC, "max_rows": 3})
    vetted = vet("SELECT age, count(*) FROM element GROUP BY age", policy, COLUMNS)
    execution = plan(vetted, policy, COLUMNS)
    release = apply_privacy([(a, 10, 10) for a in range(10)], execution,
                            max_rows_per_identity=1, noise=ZeroNoise())
    answer = present(release, vetted)
    assert len(answer.rows) == 3 and answer.truncated


def test_avg_is_clamped_into_the_bounds_and_null_without_count():
    vetted, execution = prepared("SELECT district, avg(income) FROM element GROUP BY district")
    rows = [("A", 10, 10, 10**9), ("B", 10, 0, 0)]  # noisy sum way over, then zero count
    answer = present(apply_privacy(rows, execution, max_rows_per_identity=1,
                                   noise=ZeroNoise()), vetted)
    assert answer.rows == (("A", 200000.0), ("B", None))


def test_release_round_trips_through_json_for_the_cache():
    _vetted, execution = prepared()
    release = apply_privacy(rows_for({"A": 40, "B": 9}), execution, max_rows_per_identity=1)
    doc = json.loads(json.dumps(release_to_dict(release)))
    assert release_from_dict(doc) == release
    dated = release.__class__(release.fingerprint, ("day",), ("count(*)",),
                              ((date(2024, 1, 2), 3), (Decimal("1.5"), 4)), 0,
                              Decimal("1"), (1.0,), {})
    assert release_from_dict(json.loads(json.dumps(release_to_dict(dated)))) == dated


def test_a_release_cannot_be_presented_for_another_query():
    _vetted, execution = prepared()
    release = apply_privacy(rows_for({"A": 40}), execution, max_rows_per_identity=1)
    with pytest.raises(ValueError):
        present(release, vet("SELECT count(*) FROM element", POLICY, COLUMNS))


def test_float_columns_are_clamped_and_noised_as_floats():
    import duckdb

    policy = QueryPolicy.from_dict({
        "identity": "id", "dimensions": ["g"],
        "aggregates": {"score": {"functions": ["sum", "avg"], "lower": "0.5",
                                 "upper": "10.25"}}, "k": 2})
    columns = {"id": "BIGINT", "g": "VARCHAR", "score": "DOUBLE"}
    vetted = vet("SELECT g, sum(score), avg(score) FROM element GROUP BY g", policy, columns)
    execution = plan(vetted, policy, columns)
    sums = [m for m in execution.mechanisms if m.label == "sum(score)"]
    assert sums[0].sensitivity == Decimal("10.25") and not sums[0].integer
    con = duckdb.connect()
    con.execute("CREATE TABLE element AS SELECT * FROM (VALUES (1, 'a', 0.0), (2, 'a', 20.0),"
                " (3, 'a', NULL), (4, 'b', 3.0)) t(id, g, score)")
    rows = con.execute(execution.sql, list(execution.params)).fetchall()
    answer = present(apply_privacy(rows, execution, max_rows_per_identity=1,
                                   noise=ZeroNoise()), vetted)
    # 0.0 → 0.5 and 20.0 → 10.25 (clamped); NULL stays out of both sum and count; b has k < 2
    assert answer.rows == (("a", 10.75, 5.375),) and answer.suppressed == 1
    noisy = apply_privacy(rows, execution, max_rows_per_identity=1)
    assert isinstance(noisy.rows[0][2], float)
