"""The license agreement state machine: one transition table, illegal pairs raise (issue 5 §4).

::

    pending_payment ──payment_succeeded──▶ active ◀──resume── suspended
       │   ▲ payment_failed (the buyer may retry)             │ suspend ▲
       │   └──┘                                               ▼         │
       │ terminate                 terminated ◀── terminate / refund ── active, suspended
       │ payment_timeout           expired    ◀── expire ───────────── active, suspended
       ▼                           revoked    ◀── revoke ───────────── pending_payment, active,
    terminated / expired                                                suspended

Issue 6 §5: a failed payment leaves the agreement pending (the buyer may pay again); if no
payment succeeds before the payment window closes it expires; a full refund terminates it.
``expired``, ``terminated`` and ``revoked`` are terminal: nothing leaves them. Only ``active``
agreements ever allow use (see ``contracts.evaluate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from contracts.errors import IllegalTransition

__all__ = [
    "TERMINAL_STATES",
    "TRANSITIONS",
    "AgreementEvent",
    "AgreementState",
    "allowed_events",
    "next_state",
]


class AgreementState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    REVOKED = "revoked"


class AgreementEvent(StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_TIMEOUT = "payment_timeout"
    SUSPEND = "suspend"  # e.g. an operator investigation or a disputed charge
    RESUME = "resume"
    EXPIRE = "expire"  # the validity period ended
    TERMINATE = "terminate"  # ended by agreement / cancelled before payment
    REFUND = "refund"  # the payment was refunded: the license ends
    REVOKE = "revoke"  # the operator withdrew the license for a breach


_S, _E = AgreementState, AgreementEvent

TRANSITIONS: Mapping[tuple[AgreementState, AgreementEvent], AgreementState] = MappingProxyType({
    (_S.PENDING_PAYMENT, _E.PAYMENT_SUCCEEDED): _S.ACTIVE,
    (_S.PENDING_PAYMENT, _E.PAYMENT_FAILED): _S.PENDING_PAYMENT,
    (_S.PENDING_PAYMENT, _E.PAYMENT_TIMEOUT): _S.EXPIRED,
    (_S.PENDING_PAYMENT, _E.TERMINATE): _S.TERMINATED,
    (_S.PENDING_PAYMENT, _E.REVOKE): _S.REVOKED,
    (_S.ACTIVE, _E.SUSPEND): _S.SUSPENDED,
    (_S.ACTIVE, _E.EXPIRE): _S.EXPIRED,
    (_S.ACTIVE, _E.TERMINATE): _S.TERMINATED,
    (_S.ACTIVE, _E.REFUND): _S.TERMINATED,
    (_S.ACTIVE, _E.REVOKE): _S.REVOKED,
    (_S.SUSPENDED, _E.RESUME): _S.ACTIVE,
    (_S.SUSPENDED, _E.EXPIRE): _S.EXPIRED,
    (_S.SUSPENDED, _E.TERMINATE): _S.TERMINATED,
    (_S.SUSPENDED, _E.REFUND): _S.TERMINATED,
    (_S.SUSPENDED, _E.REVOKE): _S.REVOKED,
})

TERMINAL_STATES = frozenset(s for s in AgreementState if not any(k[0] is s for k in TRANSITIONS))


def next_state(state: AgreementState | str, event: AgreementEvent | str) -> AgreementState:
    """The state after ``event`` in ``state``; raise IllegalTransition if the table has no entry."""
    try:
        key = (AgreementState(state), AgreementEvent(event))
    except (ValueError, TypeError):
        raise IllegalTransition(state, event) from None
    target = TRANSITIONS.get(key)
    if target is None:
        raise IllegalTransition(*key)
    return target


def allowed_events(state: AgreementState | str) -> frozenset[AgreementEvent]:
    """The events that ``state`` accepts (empty for terminal states)."""
    return frozenset(e for (s, e) in TRANSITIONS if s == state)
