"""Query policy parsing and defaults (issue 7 §2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox import PolicyError, QueryPolicy, default_policy
from tests.unit.sandbox.conftest import COLUMNS, POLICY_DOC


def test_round_trip_is_canonical_and_digest_is_stable():
    p = QueryPolicy.from_dict(POLICY_DOC)
    again = QueryPolicy.from_dict(p.to_dict())
    assert again == p and again.digest() == p.digest()
    assert p.aggregates["income"].lower == Decimal("0")
    assert p.epsilon_per_query == Decimal("1")


def test_digest_changes_with_any_privacy_knob():
    base = QueryPolicy.from_dict(POLICY_DOC)
    for change in ({"k": 6}, {"epsilon_per_query": "0.5"}, {"max_rows_per_identity": 2},
                   {"aggregates": {"income": {"functions": ["sum"], "lower": "0",
                                              "upper": "100"}}}):
        assert QueryPolicy.from_dict({**POLICY_DOC, **change}).digest() != base.digest()


@pytest.mark.parametrize(("change", "path"), [
    ({"surprise": 1}, "/surprise"),
    ({"k": "5"}, "/k"),
    ({"k": True}, "/k"),
    ({"k": 1}, "/k"),
    ({"epsilon_per_query": 0.5}, "/epsilon_per_query"),  # floats are refused
    ({"epsilon_per_query": "0"}, "/epsilon_per_query"),
    ({"epsilon_per_query": "NaN"}, "/epsilon_per_query"),
    ({"epsilon_per_license": "0.1", "epsilon_per_query": "1"}, "/epsilon_per_license"),
    ({"dimensions": "district"}, "/dimensions"),
    ({"dimensions": ["id"]}, "/identity"),
    ({"aggregates": {"income": {"functions": ["sum"]}}}, "/aggregates/income"),
    ({"aggregates": {"income": {"functions": ["median"], "lower": "0", "upper": "1"}}},
     "/aggregates/income/functions"),
    ({"aggregates": {"income": {"functions": ["sum"], "lower": "5", "upper": "1"}}},
     "/aggregates/income"),
    ({"allow_joins": True}, "/allow_joins"),
    ({"allow_subqueries": True}, "/allow_subqueries"),
    ({"max_rows": 20000}, "/max_rows"),
    ({"table": "Element; DROP"}, "/table"),
])
def test_from_dict_is_strict_and_points_at_the_member(change, path):
    with pytest.raises(PolicyError) as err:
        QueryPolicy.from_dict({**POLICY_DOC, **change})
    assert path in err.value.errors


def test_missing_required_members_and_non_objects():
    with pytest.raises(PolicyError) as err:
        QueryPolicy.from_dict({})
    assert {"/identity", "/dimensions"} <= set(err.value.errors)
    with pytest.raises(PolicyError):
        QueryPolicy.from_dict([])


PII = {"columns": {"name": {"kinds": ["name"], "counts": {"name": 2001}},
                   "district": {"kinds": [], "counts": {}}},
       "licensed_personal_data": []}


def test_default_policy_from_the_pii_report():
    p = default_policy(COLUMNS, PII, bounds={"income": (Decimal(0), Decimal(200000))})
    assert p.identity == "id"
    assert "name" not in p.dimensions and "name" not in p.aggregates  # direct identifier
    assert p.dimensions == {"district", "age", "income"}
    assert p.aggregates["income"].functions == {"count", "sum", "avg"}


def test_default_identity_prefers_a_flagged_personal_identifier():
    cols = {"rid": "VARCHAR", "person_id": "BIGINT", "city": "VARCHAR", "score": "DOUBLE"}
    pii = {"findings": {"rid": {"resident_id": 10}}}
    p = default_policy(cols, pii)
    assert p.identity == "rid"
    assert "person_id" in p.dimensions and "city" in p.dimensions
    assert p.aggregates["score"].functions == {"count"}  # no bounds declared: no SUM/AVG


def test_default_policy_without_any_identity_is_refused():
    with pytest.raises(PolicyError) as err:
        default_policy({"city": "VARCHAR"}, {})
    assert "/identity" in err.value.errors
