"""Deny-by-default policy evaluation: ``evaluate(policy, ctx) -> Decision`` (issue 5 §4).

Order, first match decides (ODRL 2.2 §2.7 conflict strategy ``prohibit``):

1. the request must be well-formed (known action, timezone-aware ``at``), else deny;
2. an agreement, when given, must be ``active`` and ``valid_from <= at < valid_until``;
3. a prohibition covering the action denies unless one of its constraints is certainly false
   (missing request values cannot lift a prohibition);
4. a payment (``compensate``) obligation needs an active agreement;
5. the first permission covering the action whose constraints are all true, and whose payment
   duties are met, allows — its duties plus the policy's obligations come back for the caller;
6. otherwise deny.

Total: any input, however odd, yields a Decision; nothing raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.agreement import AgreementState
from contracts.model import Duty, Policy
from contracts.operands import format_instant
from contracts.semantics import Facts, holds_all
from contracts.vocab import Action, DutyAction, covers

__all__ = ["Decision", "RequestContext", "evaluate"]


@dataclass(frozen=True)
class RequestContext:
    """One prospective use. ``count_used`` is how many uses came before this one."""

    action: Action | str
    at: datetime
    purpose: str | frozenset[str] | None = None
    region: str | None = None
    recipient: str | None = None
    count_used: int | None = None
    agreement_state: AgreementState | str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """``rule`` is a JSON pointer into the policy document (``/permission/0``) or None."""

    allowed: bool
    rule: str | None
    reasons: tuple[str, ...]
    duties: tuple[Duty, ...] = ()


def _deny(*reasons: str, rule: str | None = None) -> Decision:
    return Decision(False, rule, tuple(reasons))


def _aware(value: object) -> datetime | None:
    """``value`` if it is a datetime with a usable UTC offset, else None."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _facts(ctx: Any, at: datetime) -> Facts:
    raw = getattr(ctx, "purpose", None)
    items = [raw] if isinstance(raw, str) else raw
    purposes = None
    sequence = isinstance(items, (list, tuple, set, frozenset)) and items
    if sequence and all(isinstance(p, str) and p for p in items):
        purposes = frozenset(items)
    used = getattr(ctx, "count_used", None)
    count = used + 1 if type(used) is int and used >= 0 else None
    start = _aware(getattr(ctx, "valid_from", None))
    elapsed = at - start if start is not None else None
    return Facts(purposes, at, count, elapsed, _text(getattr(ctx, "region", None)),
                 _text(getattr(ctx, "recipient", None)))


def _agreement(ctx: Any, at: datetime) -> tuple[AgreementState | None, str | None]:
    """(state, reason to deny) — state None when the request names no agreement."""
    raw = getattr(ctx, "agreement_state", None)
    state = None
    if raw is not None:
        try:
            state = AgreementState(raw)
        except (ValueError, TypeError):
            return None, "unknown agreement state"
        if state is not AgreementState.ACTIVE:
            return state, f"the agreement is {state.value}, not active"
    window = getattr(ctx, "valid_from", None), getattr(ctx, "valid_until", None)
    start, end = (_aware(w) for w in window)
    if (window[0] is not None and start is None) or (window[1] is not None and end is None):
        return state, "the agreement's validity period is malformed"
    if start is not None and at < start:
        return state, f"the agreement is not valid before {format_instant(start)}"
    if end is not None and at >= end:
        return state, f"the agreement expired at {format_instant(end)}"
    return state, None


def _evaluate(policy: Policy, ctx: Any) -> Decision:
    try:
        action = Action(getattr(ctx, "action", None))
    except (ValueError, TypeError):
        return _deny("unknown action")
    at = _aware(getattr(ctx, "at", None))
    if at is None:
        return _deny("the request time must be a timezone-aware datetime")
    state, problem = _agreement(ctx, at)
    if problem:
        return _deny(problem)
    facts = _facts(ctx, at)
    for i, rule in enumerate(policy.prohibitions):
        if not covers(rule.action, action):
            continue
        truth, why = holds_all(rule.constraints, facts)
        if truth is not False:
            return _deny(f"prohibited: {rule.action.value}", *why, rule=f"/prohibition/{i}")
    paid = state is AgreementState.ACTIVE
    for i, duty in enumerate(policy.obligations):
        if duty.action is DutyAction.COMPENSATE and not paid:
            return _deny("payment is due: an active, paid agreement is required",
                         rule=f"/obligation/{i}")
    reasons = []
    for i, rule in enumerate(policy.permissions):
        if not covers(rule.action, action):
            continue
        truth, why = holds_all(rule.constraints, facts)
        unpaid = any(d.action is DutyAction.COMPENSATE for d in rule.duties) and not paid
        if truth is True and not unpaid:
            granted = f"permitted by /permission/{i}: {rule.action.value}"
            return Decision(True, f"/permission/{i}", (granted,), rule.duties + policy.obligations)
        why = [*why, "payment is due"] if unpaid else why
        reasons.extend(f"/permission/{i}: {r}" for r in why)
    if not reasons:
        return _deny(f"no permission covers {action.value} (deny by default)")
    return _deny(*reasons)


def evaluate(policy: Policy, ctx: RequestContext) -> Decision:
    """Decide whether ``ctx`` is allowed under ``policy``; deterministic and total."""
    try:
        return _evaluate(policy, ctx)
    except Exception:  # totality: an evaluator bug must still fail closed
        return _deny("the request could not be evaluated")
