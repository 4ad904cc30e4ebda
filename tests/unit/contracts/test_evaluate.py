"""contracts.evaluate: deny by default, prohibitions win, agreements gate, Kleene logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import (
    Action,
    AgreementState,
    Constraint,
    Duty,
    DutyAction,
    LeftOperand,
    LogicalConstraint,
    LogicalOp,
    Operator,
    Permission,
    Policy,
    Prohibition,
    RequestContext,
    evaluate,
)

T = datetime(2026, 3, 1, tzinfo=UTC)
A = Action
RESEARCH = Constraint(LeftOperand.PURPOSE, Operator.EQ, "research")
IN_CN = Constraint(LeftOperand.SPATIAL, Operator.EQ, "CN")
TO_A = Constraint(LeftOperand.RECIPIENT, Operator.EQ, "org_a")
PAY = Duty(DutyAction.COMPENSATE, amount_fen=100, currency="CNY")
CITE = Duty(DutyAction.ATTRIBUTE, attribution="来源：德阳市")
DELETE = Duty(DutyAction.DELETE, within_days=7)


def ctx(action: Action | str = A.QUERY, **kw: object) -> RequestContext:
    return RequestContext(action=action, at=kw.pop("at", T), **kw)  # type: ignore[arg-type]


def allow(*actions: Action, **kw: object) -> Policy:
    return Policy("p", permissions=tuple(Permission(a) for a in actions), **kw)  # type: ignore[arg-type]


def test_empty_policy_denies_by_default():
    d = evaluate(Policy("p"), ctx())
    assert (d.allowed, d.rule) == (False, None)
    assert d.reasons == ("no permission covers query (deny by default)",)


@pytest.mark.parametrize(("granted", "requested", "allowed"), [
    (A.USE, A.QUERY, True), (A.USE, A.API_ACCESS, True), (A.USE, A.USE, True),
    (A.USE, A.DERIVE, False), (A.USE, A.TRANSFER, False), (A.USE, A.REIDENTIFY, False),
    (A.USE, A.RESELL, False), (A.QUERY, A.USE, False), (A.QUERY, A.API_ACCESS, False),
    (A.TRANSFER, A.RESELL, True), (A.TRANSFER, A.CROSS_BORDER_TRANSFER, True),
    (A.RESELL, A.TRANSFER, False), (A.DERIVE, A.DERIVE, True),
])
def test_action_hierarchy_for_permissions(granted, requested, allowed):
    assert evaluate(allow(granted), ctx(requested)).allowed is allowed


@pytest.mark.parametrize(("banned", "requested", "blocked"), [
    (A.TRANSFER, A.RESELL, True), (A.TRANSFER, A.CROSS_BORDER_TRANSFER, True),
    (A.RESELL, A.TRANSFER, False), (A.USE, A.QUERY, True), (A.QUERY, A.API_ACCESS, False),
])
def test_action_hierarchy_for_prohibitions(banned, requested, blocked):
    policy = allow(A.USE, A.TRANSFER, prohibitions=(Prohibition(banned),))
    d = evaluate(policy, ctx(requested))
    assert d.allowed is not blocked
    assert (d.rule == "/prohibition/0") is blocked


def test_prohibition_beats_an_unconditional_permission_of_the_same_action():
    policy = allow(A.RESELL, A.TRANSFER, prohibitions=(Prohibition(A.QUERY), Prohibition(A.RESELL)))
    d = evaluate(policy, ctx(A.RESELL))
    assert (d.allowed, d.rule) == (False, "/prohibition/1")
    assert d.reasons[0] == "prohibited: resell"


def test_prohibition_with_false_constraint_does_not_apply():
    policy = allow(A.QUERY, prohibitions=(Prohibition(A.QUERY, (IN_CN,)),))
    assert evaluate(policy, ctx(region="US")).allowed
    assert not evaluate(policy, ctx(region="CN-51")).allowed
    assert not evaluate(policy, ctx()).allowed  # unknown region: fail closed


def test_first_satisfied_permission_is_reported():
    policy = Policy("p", permissions=(Permission(A.QUERY, (RESEARCH,)), Permission(A.DERIVE),
                                      Permission(A.QUERY, (IN_CN,))))
    d = evaluate(policy, ctx(purpose="marketing", region="CN"))
    assert (d.allowed, d.rule) == (True, "/permission/2")
    assert d.reasons == ("permitted by /permission/2: query",)
    denied = evaluate(policy, ctx(purpose="marketing", region="US"))
    assert [r.split(":")[0] for r in denied.reasons] == ["/permission/0", "/permission/2"]


def _or(*cs): return LogicalConstraint(LogicalOp.OR, cs)
def _and(*cs): return LogicalConstraint(LogicalOp.AND, cs)


NESTED = _or(_and(RESEARCH, IN_CN), TO_A)


@pytest.mark.parametrize(("constraint", "fields", "truth"), [
    (NESTED, {"purpose": "research", "region": "CN-51"}, True),
    (NESTED, {"purpose": "research", "region": "US", "recipient": "org_a"}, True),
    (NESTED, {"purpose": "research", "region": "US", "recipient": "org_b"}, False),
    (NESTED, {"purpose": "marketing", "region": "CN", "recipient": "org_b"}, False),
    (_and(RESEARCH, _and(IN_CN, TO_A)), {"purpose": "research", "region": "CN",
                                         "recipient": "org_a"}, True),
    (_and(RESEARCH, _and(IN_CN, TO_A)), {"purpose": "research", "region": "CN",
                                         "recipient": "org_b"}, False),
    # Kleene: or(true, unknown) = true; and(true, unknown) = unknown; or(false, unknown) = unknown;
    # and(false, unknown) = false.
    (_or(RESEARCH, IN_CN), {"purpose": "research"}, True),
    (_and(RESEARCH, IN_CN), {"purpose": "research"}, None),
    (_or(RESEARCH, IN_CN), {"purpose": "marketing"}, None),
    (_and(RESEARCH, IN_CN), {"purpose": "marketing"}, False),
])
def test_logical_constraints_use_three_valued_logic(constraint, fields, truth):
    """Permissions need True; prohibitions apply unless False."""
    permitted = Policy("p", permissions=(Permission(A.QUERY, (constraint,)),))
    guarded = allow(A.QUERY, prohibitions=(Prohibition(A.QUERY, (constraint,)),))
    assert evaluate(permitted, ctx(**fields)).allowed is (truth is True)
    assert evaluate(guarded, ctx(**fields)).allowed is (truth is False)


@pytest.mark.parametrize("state", list(AgreementState))
def test_only_an_active_agreement_allows(state):
    d = evaluate(allow(A.QUERY), ctx(agreement_state=state))
    assert d.allowed is (state is AgreementState.ACTIVE)
    if state is not AgreementState.ACTIVE:
        assert d.reasons == (f"the agreement is {state.value}, not active",)


@pytest.mark.parametrize(("state", "allowed"), [
    ("active", True), ("expired", False), ("ACTIVE", False), ("void", False), (3, False),
])
def test_agreement_state_given_as_text(state, allowed):
    assert evaluate(allow(A.QUERY), ctx(agreement_state=state)).allowed is allowed


DAY = timedelta(days=1)


@pytest.mark.parametrize(("valid_from", "valid_until", "allowed", "reason"), [
    (T - DAY, T + DAY, True, None),
    (T, T + DAY, True, None),
    (T - DAY, T, False, "the agreement expired at 2026-03-01T00:00:00Z"),
    (T + DAY, None, False, "the agreement is not valid before 2026-03-02T00:00:00Z"),
    (None, T - DAY, False, "the agreement expired at 2026-02-28T00:00:00Z"),
    (None, datetime(2026, 4, 1), False, "the agreement's validity period is malformed"),
    ("2026-01-01", None, False, "the agreement's validity period is malformed"),
])
def test_validity_period_is_half_open(valid_from, valid_until, allowed, reason):
    d = evaluate(allow(A.QUERY), ctx(agreement_state="active", valid_from=valid_from,
                                     valid_until=valid_until))
    assert d.allowed is allowed
    assert reason is None or d.reasons == (reason,)


@pytest.mark.parametrize(("fields", "reason"), [
    ({"action": "sell"}, "unknown action"),
    ({"action": None}, "unknown action"),
    ({"at": datetime(2026, 3, 1)}, "the request time must be a timezone-aware datetime"),
    ({"at": "2026-03-01T00:00:00Z"}, "the request time must be a timezone-aware datetime"),
])
def test_malformed_requests_are_denied_not_raised(fields, reason):
    d = evaluate(allow(*A), RequestContext(**{"action": A.QUERY, "at": T, **fields}))
    assert (d.allowed, d.reasons) == (False, (reason,))


def test_payment_duty_needs_an_active_agreement():
    policy = Policy("p", permissions=(Permission(A.QUERY, (), (PAY, CITE)),), obligations=(DELETE,))
    d = evaluate(policy, ctx())  # an offer evaluated without an agreement
    assert not d.allowed
    assert d.reasons == ("/permission/0: payment is due",)
    assert not evaluate(policy, ctx(agreement_state=AgreementState.PENDING_PAYMENT)).allowed
    d = evaluate(policy, ctx(agreement_state=AgreementState.ACTIVE))
    assert d.allowed
    assert d.duties == (PAY, CITE, DELETE)


def test_payment_obligation_needs_an_active_agreement():
    policy = allow(A.QUERY, obligations=(CITE, PAY))
    d = evaluate(policy, ctx())
    assert (d.allowed, d.rule) == (False, "/obligation/1")
    assert evaluate(policy, ctx(agreement_state="active")).duties == (CITE, PAY)


def test_non_payment_duties_do_not_block_and_are_returned():
    policy = Policy("p", permissions=(Permission(A.DERIVE, (), (CITE,)),), obligations=(DELETE,))
    d = evaluate(policy, ctx(A.DERIVE))
    assert d.allowed
    assert d.duties == (CITE, DELETE)
    assert evaluate(policy, ctx(A.QUERY)).duties == ()


def test_unusable_purpose_values_are_unknown():
    policy = Policy("p", permissions=(Permission(A.QUERY, (RESEARCH,)),))
    for purpose in ("", frozenset(), frozenset({"research", 3}), ["research", ""], 7, b"research"):
        assert not evaluate(policy, ctx(purpose=purpose)).allowed
    for purpose in ("research", ("research",), ["research"], frozenset({"research"})):
        assert evaluate(policy, ctx(purpose=purpose)).allowed
