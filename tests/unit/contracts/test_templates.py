"""contracts.templates: the four standard licenses behave as a city data exchange needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import (
    TEMPLATE_IDS,
    TEMPLATE_TITLES,
    Action,
    DutyAction,
    PolicyError,
    RequestContext,
    UnknownTemplate,
    evaluate,
    policy_digest,
    policy_from_dict,
    policy_to_dict,
    template,
)

T = datetime(2026, 3, 1, tzinfo=UTC)
A = Action
DEFAULT_PURPOSE = {"internal-analytics": "internal_analytics",
                   "api-integration": "service_integration", "research-only": "research",
                   "cc-by-4.0": "marketing"}


def use(tid: str, action: Action, **kw: object) -> bool:
    """Would an active licensee of template ``tid`` be allowed ``action`` (defaults otherwise)?"""
    fields = {"purpose": DEFAULT_PURPOSE[tid], "agreement_state": "active", "count_used": 0,
              "region": "CN-51", "recipient": "org_a", **kw}
    return evaluate(template(tid), RequestContext(action, T, **fields)).allowed  # type: ignore[arg-type]

# What each template lets an active licensee do, with its default purpose and no other limits.
MATRIX = {
    "internal-analytics": {A.USE, A.QUERY, A.API_ACCESS, A.DERIVE},
    "api-integration": {A.API_ACCESS},
    "research-only": {A.QUERY, A.DERIVE},
    "cc-by-4.0": {A.USE, A.QUERY, A.API_ACCESS, A.DERIVE, A.TRANSFER, A.RESELL,
                  A.CROSS_BORDER_TRANSFER},
}


def test_template_ids_and_titles():
    assert TEMPLATE_IDS == ("internal-analytics", "api-integration", "research-only", "cc-by-4.0")
    assert set(TEMPLATE_TITLES) == set(TEMPLATE_IDS) == set(MATRIX)


@pytest.mark.parametrize("tid", TEMPLATE_IDS)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_permission_matrix(tid, action):
    assert use(tid, action) is (action in MATRIX[tid])


@pytest.mark.parametrize("tid", TEMPLATE_IDS)
def test_every_template_prohibits_reidentification_explicitly(tid):
    policy = template(tid)
    assert any(p.action is A.REIDENTIFY and not p.constraints for p in policy.prohibitions)
    d = evaluate(policy, RequestContext(A.REIDENTIFY, T, agreement_state="active"))
    assert d.rule is not None and d.rule.startswith("/prohibition/")


@pytest.mark.parametrize(("tid", "action"), [
    ("research-only", A.RESELL), ("research-only", A.TRANSFER),
    ("internal-analytics", A.RESELL), ("internal-analytics", A.CROSS_BORDER_TRANSFER),
    ("api-integration", A.RESELL), ("api-integration", A.CROSS_BORDER_TRANSFER),
])
def test_onward_use_is_prohibited_not_merely_unpermitted(tid, action):
    d = evaluate(template(tid), RequestContext(action, T, agreement_state="active"))
    assert d.rule is not None and d.rule.startswith("/prohibition/")


@pytest.mark.parametrize("tid", ["internal-analytics", "api-integration", "research-only"])
def test_purpose_is_limited(tid):
    action = next(iter(MATRIX[tid] - {A.USE, A.DERIVE}))
    assert not use(tid, action, purpose="marketing")
    assert not use(tid, action, purpose=None)
    assert not use(tid, action, purpose=frozenset({DEFAULT_PURPOSE[tid], "marketing"}))


def test_custom_purposes_replace_the_default():
    policy = template("research-only", purposes=["research", "public_service"])
    ctx = RequestContext(A.QUERY, T, purpose="public_service", agreement_state="active")
    assert evaluate(policy, ctx).allowed
    assert not evaluate(policy, RequestContext(A.QUERY, T, purpose="marketing")).allowed


@pytest.mark.parametrize(("used", "allowed"), [(0, True), (999, True), (1000, False)])
def test_api_quota(used, allowed):
    policy = template("api-integration", max_calls=1000)
    ctx = RequestContext(A.API_ACCESS, T, purpose="service_integration", count_used=used,
                         agreement_state="active")
    assert evaluate(policy, ctx).allowed is allowed


@pytest.mark.parametrize(("elapsed", "allowed"), [
    (timedelta(0), True), (timedelta(days=30) - timedelta(seconds=1), True),
    (timedelta(days=30), False), (None, False),
])
def test_validity_counted_from_the_agreement_start(elapsed, allowed):
    policy = template("research-only", valid_days=30)
    start = None if elapsed is None else T - elapsed
    ctx = RequestContext(A.QUERY, T, purpose="research", valid_from=start)
    assert evaluate(policy, ctx).allowed is allowed


@pytest.mark.parametrize(("at", "allowed"), [
    (T - timedelta(seconds=1), False), (T, True), (T + timedelta(days=7, seconds=-1), True),
    (T + timedelta(days=7), False),
])
def test_absolute_validity_interval(at, allowed):
    policy = template("internal-analytics", valid_days=7, starts_at=T)
    ctx = RequestContext(A.QUERY, at, purpose="internal_analytics")
    assert evaluate(policy, ctx).allowed is allowed


def test_regions_and_recipients():
    policy = template("api-integration", regions=["CN-51"], recipients="org_a")
    base = {"purpose": "service_integration", "region": "CN-51", "recipient": "org_a"}
    assert evaluate(policy, RequestContext(A.API_ACCESS, T, **base)).allowed
    for change in ({"region": "CN-11"}, {"recipient": "org_b"}, {"region": None}):
        assert not evaluate(policy, RequestContext(A.API_ACCESS, T, **{**base, **change})).allowed


@pytest.mark.parametrize("tid", TEMPLATE_IDS)
def test_price_requires_a_paid_agreement_for_every_permission(tid):
    policy = template(tid, price_fen=9_900)
    for action in MATRIX[tid]:
        ctx = RequestContext(action, T, purpose=DEFAULT_PURPOSE[tid])
        d = evaluate(policy, ctx)
        assert not d.allowed and d.rule is not None and d.rule.startswith("/obligation/")
        d = evaluate(policy, RequestContext(action, T, purpose=DEFAULT_PURPOSE[tid],
                                            agreement_state="active"))
        assert d.allowed
        pay = d.duties[-len(policy.obligations)]
        assert (pay.action, pay.amount_fen, pay.currency) == (DutyAction.COMPENSATE, 9_900, "CNY")


@pytest.mark.parametrize(("tid", "duties"), [
    ("internal-analytics", [DutyAction.DELETE]), ("api-integration", [DutyAction.DELETE]),
    ("research-only", [DutyAction.ATTRIBUTE, DutyAction.DELETE]),
    ("cc-by-4.0", [DutyAction.ATTRIBUTE]),
])
def test_duties_come_back_with_an_allowed_decision(tid, duties):
    action = sorted(MATRIX[tid])[0]
    ctx = RequestContext(action, T, purpose=DEFAULT_PURPOSE[tid])
    assert [d.action for d in evaluate(template(tid), ctx).duties] == duties


def test_attribution_text_and_uid_are_configurable():
    policy = template("cc-by-4.0", uid="lic_abc", attribution="德阳市数据资源中心")
    assert policy.uid == "lic_abc"
    assert {d.attribution for p in policy.permissions for d in p.duties} == {"德阳市数据资源中心"}


@pytest.mark.parametrize("tid", TEMPLATE_IDS)
def test_templates_are_deterministic_and_round_trip(tid):
    args = {"valid_days": 90, "regions": ["CN"], "price_fen": 100, "recipients": ["org_a"]}
    a, b = template(tid, **args), template(tid, **args)
    assert a == b and policy_digest(a) == policy_digest(b)
    assert policy_from_dict(policy_to_dict(a)) == a
    assert policy_digest(a) != policy_digest(template(tid))


@pytest.mark.parametrize("tid", ["", "cc-by", "CC-BY-4.0", "research_only"])
def test_unknown_template(tid):
    with pytest.raises(UnknownTemplate) as info:
        template(tid)
    assert isinstance(info.value, PolicyError) and info.value.path == "/template"


NAIVE = datetime(2026, 1, 1)


@pytest.mark.parametrize(("tid", "kwargs", "path"), [
    ("research-only", {"purposes": ["Research"]}, "/purposes"),
    ("research-only", {"purposes": []}, "/purposes"),
    ("research-only", {"purposes": 5}, "/purposes"),
    ("research-only", {"purposes": {"research": 1}}, "/purposes"),
    ("research-only", {"purposes": ["research", None]}, "/purposes"),
    ("api-integration", {"regions": ["china"]}, "/regions"),
    ("api-integration", {"recipients": ["org a"]}, "/recipients"),
    ("api-integration", {"max_calls": 0}, "/max_calls"),
    ("api-integration", {"max_calls": "10"}, "/max_calls"),
    ("api-integration", {"valid_days": 0}, "/valid_days"),
    ("api-integration", {"valid_days": 1.5}, "/valid_days"),
    ("api-integration", {"valid_days": 3, "starts_at": NAIVE}, "/starts_at"),
    ("api-integration", {"starts_at": T}, "/starts_at"),
    ("api-integration", {"valid_days": 3650, "starts_at": datetime.max.replace(tzinfo=UTC)},
     "/valid_days"),
    ("api-integration", {"price_fen": -1}, "/price_fen"),
    ("api-integration", {"price_fen": 10, "currency": "rmb"}, "/currency"),
    ("research-only", {"attribution": "line\nbreak"}, "/attribution"),
    ("research-only", {"delete_within_days": -1}, "/delete_within_days"),
    ("research-only", {"uid": ""}, "/uid"),
    ("cc-by-4.0", {"attribution": ""}, "/attribution"),
    ("cc-by-4.0", {"purposes": ["research"]}, "/purposes"),
    ("cc-by-4.0", {"max_calls": 10}, "/max_calls"),
])
def test_bad_parameters_name_the_parameter(tid, kwargs, path):
    with pytest.raises(PolicyError) as info:
        template(tid, **kwargs)
    assert info.value.path == path
