"""Every (left operand, operator) pair the profile allows, with an allowed and a denied request.

Semantics under test are those documented in ``contracts.semantics`` (ODRL 2.2 §2.5): ``count``
is the ordinal of the use being decided, ``spatial`` matches ISO 3166 subdivisions, set operators
compare the request's purposes P with the right operand S.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts import (
    Action,
    Constraint,
    LeftOperand,
    Operator,
    Permission,
    Policy,
    Prohibition,
    RequestContext,
    evaluate,
)
from contracts.vocab import OPERATORS_FOR

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
D30 = timedelta(days=30)
L, Op = LeftOperand, Operator
TWO = frozenset({"research", "public_service"})
MIXED = {"purpose": {"research", "marketing"}}


def ago(delta: timedelta) -> dict[str, Any]:
    """Context where the agreement started ``delta`` before T."""
    return {"valid_from": T - delta}


# (left, operator, right operand, request fields that satisfy it, request fields that do not)
TABLE: list[tuple[LeftOperand, Operator, Any, dict[str, Any], dict[str, Any]]] = [
    (L.PURPOSE, Op.EQ, "research", {"purpose": "research"}, {"purpose": "marketing"}),
    (L.PURPOSE, Op.NEQ, "marketing", {"purpose": "research"}, MIXED),
    (L.PURPOSE, Op.IS_ANY_OF, TWO, {"purpose": TWO}, MIXED),
    (L.PURPOSE, Op.IS_NONE_OF, {"marketing"}, {"purpose": TWO}, MIXED),
    (L.PURPOSE, Op.IS_ALL_OF, TWO, {"purpose": TWO | {"urban_planning"}}, {"purpose": "research"}),
    (L.DATE_TIME, Op.EQ, T, {"at": T}, {"at": T + S}),
    (L.DATE_TIME, Op.NEQ, T, {"at": T + S}, {"at": T}),
    (L.DATE_TIME, Op.LT, T, {"at": T - S}, {"at": T}),
    (L.DATE_TIME, Op.LTEQ, T, {"at": T}, {"at": T + S}),
    (L.DATE_TIME, Op.GT, T, {"at": T + S}, {"at": T}),
    (L.DATE_TIME, Op.GTEQ, T, {"at": T}, {"at": T - S}),
    (L.COUNT, Op.EQ, 3, {"count_used": 2}, {"count_used": 3}),
    (L.COUNT, Op.NEQ, 3, {"count_used": 3}, {"count_used": 2}),
    (L.COUNT, Op.LT, 3, {"count_used": 1}, {"count_used": 2}),
    (L.COUNT, Op.LTEQ, 3, {"count_used": 2}, {"count_used": 3}),
    (L.COUNT, Op.GT, 3, {"count_used": 3}, {"count_used": 2}),
    (L.COUNT, Op.GTEQ, 3, {"count_used": 2}, {"count_used": 1}),
    (L.ELAPSED_TIME, Op.EQ, D30, ago(D30), ago(D30 - S)),
    (L.ELAPSED_TIME, Op.NEQ, D30, ago(D30 - S), ago(D30)),
    (L.ELAPSED_TIME, Op.LT, D30, ago(D30 - S), ago(D30)),
    (L.ELAPSED_TIME, Op.LTEQ, D30, ago(D30), ago(D30 + S)),
    (L.ELAPSED_TIME, Op.GT, D30, ago(D30 + S), ago(D30)),
    (L.ELAPSED_TIME, Op.GTEQ, D30, ago(D30), ago(D30 - S)),
    (L.SPATIAL, Op.EQ, "CN", {"region": "CN-51"}, {"region": "US"}),
    (L.SPATIAL, Op.NEQ, "CN", {"region": "US"}, {"region": "CN-51"}),
    (L.SPATIAL, Op.IS_ANY_OF, {"CN-51", "CN-50"}, {"region": "CN-51"}, {"region": "CN-11"}),
    (L.SPATIAL, Op.IS_NONE_OF, {"CN-11"}, {"region": "CN-51"}, {"region": "CN-11"}),
    (L.RECIPIENT, Op.EQ, "org_a", {"recipient": "org_a"}, {"recipient": "org_b"}),
    (L.RECIPIENT, Op.NEQ, "org_a", {"recipient": "org_b"}, {"recipient": "org_a"}),
    (L.RECIPIENT, Op.IS_ANY_OF, {"org_a", "org_b"}, {"recipient": "org_b"}, {"recipient": "org_c"}),
    (L.RECIPIENT, Op.IS_NONE_OF, {"org_c"}, {"recipient": "org_a"}, {"recipient": "org_c"}),
]
IDS = [f"{left.value}-{op.value}" for left, op, *_ in TABLE]


def request(**fields: Any) -> RequestContext:
    if isinstance(fields.get("purpose"), set):
        fields["purpose"] = frozenset(fields["purpose"])
    return RequestContext(**{"action": Action.QUERY, "at": T, **fields})


def permit(constraint: Constraint) -> Policy:
    return Policy("p", permissions=(Permission(Action.QUERY, (constraint,)),))


def test_table_covers_every_operator_of_every_left_operand():
    pairs = {(left, op) for left, ops in OPERATORS_FOR.items() for op in ops}
    assert {(left, op) for left, op, *_ in TABLE} == pairs
    assert len(TABLE) == len(pairs)


@pytest.mark.parametrize(("left", "op", "right", "yes", "no"), TABLE, ids=IDS)
def test_permission_constraint(left, op, right, yes, no):
    policy = permit(Constraint(left, op, right))
    allowed = evaluate(policy, request(**yes))
    assert allowed.allowed, allowed.reasons
    assert allowed.rule == "/permission/0"
    denied = evaluate(policy, request(**no))
    assert not denied.allowed
    assert denied.rule is None
    assert denied.reasons[0].startswith(f"/permission/0: {left.value} {op.value}")


@pytest.mark.parametrize(("left", "op", "right", "yes", "no"), TABLE, ids=IDS)
def test_prohibition_constraint(left, op, right, yes, no):
    policy = Policy("p", permissions=(Permission(Action.QUERY),),
                    prohibitions=(Prohibition(Action.QUERY, (Constraint(left, op, right),)),))
    assert evaluate(policy, request(**yes)).rule == "/prohibition/0"
    assert not evaluate(policy, request(**yes)).allowed
    assert evaluate(policy, request(**no)).allowed


MISSING = {
    L.PURPOSE: Constraint(L.PURPOSE, Op.NEQ, "marketing"),
    L.DATE_TIME: None,  # ``at`` is mandatory: see test_evaluate
    L.COUNT: Constraint(L.COUNT, Op.LTEQ, 10),
    L.ELAPSED_TIME: Constraint(L.ELAPSED_TIME, Op.LT, D30),
    L.SPATIAL: Constraint(L.SPATIAL, Op.IS_NONE_OF, {"US"}),
    L.RECIPIENT: Constraint(L.RECIPIENT, Op.NEQ, "org_c"),
}


@pytest.mark.parametrize("left", [x for x in MISSING if MISSING[x]], ids=lambda x: x.value)
def test_missing_request_value_fails_closed_both_ways(left):
    """Unknown is neither true (no permission) nor false (the prohibition still applies)."""
    constraint = MISSING[left]
    denied = evaluate(permit(constraint), request())
    assert not denied.allowed
    assert "the request gives no" in denied.reasons[0]
    guarded = Policy("p", permissions=(Permission(Action.QUERY),),
                     prohibitions=(Prohibition(Action.QUERY, (constraint,)),))
    assert evaluate(guarded, request()).rule == "/prohibition/0"


@pytest.mark.parametrize(("code", "region", "inside"), [
    ("CN", "CN", True), ("CN", "CN-51", True), ("CN-51", "CN", False), ("CN", "CNX", False),
    ("CN", "CN51", False), ("CN-5", "CN-51", False), ("CN", "cn", False),
])
def test_region_containment_is_by_iso_3166_subdivision(code, region, inside):
    policy = permit(Constraint(L.SPATIAL, Op.EQ, code))
    assert evaluate(policy, request(region=region)).allowed is inside


@pytest.mark.parametrize(("used", "allowed"),
                         [(0, True), (999, True), (1000, False), (5000, False)])
def test_count_lteq_n_allows_exactly_n_uses(used, allowed):
    """``count lteq 1000`` allows while count_used < 1000 (the brief's definition)."""
    policy = permit(Constraint(L.COUNT, Op.LTEQ, 1000))
    assert evaluate(policy, request(count_used=used)).allowed is allowed


@pytest.mark.parametrize("used", [-1, True, 1.0, "3", None])
def test_unusable_count_is_unknown(used):
    assert not evaluate(permit(Constraint(L.COUNT, Op.LTEQ, 10)), request(count_used=used)).allowed
