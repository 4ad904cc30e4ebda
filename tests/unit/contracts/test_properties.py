"""Hypothesis invariants of the evaluator and the policy codec (issue 5 §4 acceptance)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import (
    Action,
    AgreementState,
    DutyAction,
    Permission,
    Policy,
    Prohibition,
    RequestContext,
    evaluate,
    policy_digest,
    policy_from_dict,
    policy_to_dict,
)
from contracts.serial import canonical_json
from contracts.vocab import covers
from tests.unit.contracts.strategies import contexts, garbage_contexts, policies

FALLBACK = "the request could not be evaluated"
NOT_ACTIVE = [s for s in AgreementState if s is not AgreementState.ACTIVE]


@given(policies, contexts)
def test_deny_by_default(policy, ctx):
    """A policy with no permission covering the action never allows it."""
    action = Action(ctx.action)
    stripped = dataclasses.replace(
        policy, permissions=tuple(p for p in policy.permissions if not covers(p.action, action))
    )
    d = evaluate(stripped, ctx)
    assert not d.allowed
    assert d.rule is None or not d.rule.startswith("/permission/")


def _allowing(policy: Policy, ctx: RequestContext) -> tuple[Policy, RequestContext]:
    """Make (policy, ctx) an allowed pair: clear blockers, add an unconditional permission."""
    action = Action(ctx.action)
    free = tuple(d for d in policy.obligations if d.action is not DutyAction.COMPENSATE)
    policy = dataclasses.replace(
        policy,
        permissions=(*policy.permissions, Permission(action)),
        prohibitions=tuple(p for p in policy.prohibitions if not covers(p.action, action)),
        obligations=free,
    )
    ctx = dataclasses.replace(ctx, agreement_state=AgreementState.ACTIVE, valid_from=None,
                              valid_until=None)
    return policy, ctx


@given(policies, contexts, st.data())
def test_prohibitions_win(policy, ctx, data):
    """Adding a matching prohibition to an allowing policy makes it deny, wherever it is put."""
    policy, ctx = _allowing(policy, ctx)
    decision = evaluate(policy, ctx)
    assert decision.allowed
    granted = policy.permissions[int(decision.rule.rsplit("/", 1)[1])]
    # Matching: the requested action (or a broader one) with constraints the request satisfies.
    banned = data.draw(st.sampled_from([a for a in Action if covers(a, Action(ctx.action))]))
    rule = Prohibition(banned, data.draw(st.sampled_from([(), granted.constraints])))
    at = data.draw(st.integers(0, len(policy.prohibitions)))
    rules = (*policy.prohibitions[:at], rule, *policy.prohibitions[at:])
    d = evaluate(dataclasses.replace(policy, prohibitions=rules), ctx)
    assert not d.allowed
    assert d.rule is not None and d.rule.startswith("/prohibition/")


@given(policies, contexts, st.sampled_from(NOT_ACTIVE))
def test_non_active_agreements_never_allow(policy, ctx, state):
    policy, ctx = _allowing(policy, ctx)
    assert not evaluate(policy, dataclasses.replace(ctx, agreement_state=state)).allowed


@given(policies, contexts, st.integers(0, 10**6))
def test_expired_agreements_never_allow(policy, ctx, seconds):
    """``valid_until <= at`` never allows, even for an agreement whose state still says active."""
    policy, ctx = _allowing(policy, ctx)
    assert evaluate(policy, ctx).allowed
    ctx = dataclasses.replace(ctx, valid_until=ctx.at - timedelta(seconds=seconds))
    assert not evaluate(policy, ctx).allowed


@given(policies, contexts)
def test_allowed_decisions_point_at_a_covering_permission(policy, ctx):
    d = evaluate(policy, ctx)
    if d.allowed:
        granted = policy.permissions[int(d.rule.rsplit("/", 1)[1])]
        assert covers(granted.action, Action(ctx.action))
        assert ctx.agreement_state in (None, AgreementState.ACTIVE)
        assert d.duties == granted.duties + policy.obligations
    else:
        assert d.reasons and d.duties == ()


@given(policies, contexts)
def test_evaluation_is_deterministic_and_total(policy, ctx):
    first = evaluate(policy, ctx)
    assert evaluate(policy, ctx) == first
    assert FALLBACK not in first.reasons
    assert all(isinstance(r, str) and r for r in first.reasons)


@settings(max_examples=300)
@given(policies, garbage_contexts)
def test_evaluation_never_raises_on_garbage(policy, ctx):
    d = evaluate(policy, ctx)
    assert FALLBACK not in d.reasons  # no hidden exception swallowed by the safety net
    if d.allowed:
        assert isinstance(ctx.action, str) and ctx.at.tzinfo is not None


@given(policies)
def test_dict_round_trip(policy):
    doc = policy_to_dict(policy)
    assert policy_from_dict(doc) == policy
    assert policy_from_dict(json.loads(json.dumps(doc))) == policy
    assert policy_to_dict(policy_from_dict(doc)) == doc


def _shuffle(value: Any, rng: random.Random) -> Any:
    """Reorder every object's keys, and set-valued right operands, without changing meaning."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        out = {k: _shuffle(v, rng) for k, v in items}
        if isinstance(out.get("rightOperand"), list):
            rng.shuffle(out["rightOperand"])
        return out
    if isinstance(value, list):
        return [_shuffle(v, rng) for v in value]
    return value


@given(policies, st.randoms(use_true_random=False))
def test_digest_is_stable_under_key_and_set_reordering(policy, rng):
    shuffled = _shuffle(policy_to_dict(policy), rng)
    assert policy_digest(policy_from_dict(shuffled)) == policy_digest(policy)


@given(policies, policies)
def test_digest_separates_different_policies(a, b):
    assert (policy_digest(a) == policy_digest(b)) == (a == b)


CANONICAL = (
    b'{"obligation":[],"permission":[{"action":"query","constraint":[],"duty":[]}],'
    b'"profile":"urn:elx:odrl-profile:contracts:1","prohibition":[],"uid":"p"}'
)


def test_digest_known_answer():
    """Pinned: sorted keys, no whitespace, UTF-8 — a change here changes every stored digest."""
    policy = Policy("p", permissions=(Permission(Action.QUERY),))
    assert canonical_json(policy_to_dict(policy)) == CANONICAL
    assert policy_digest(policy) == hashlib.sha256(CANONICAL).hexdigest()
    assert policy_digest(policy) == (
        "e4de6ff3d4d52b87926e59c038ab878f70effc3a908ab5b157abcc39e3998069"
    )
