"""May this license be used now? — for the data API and the sandbox (issue 5 §5, §6).

:func:`authorize_use` reads the agreement row as it is committed at the moment of the call
(never a cached copy), so a revocation, suspension or expiry takes effect on the very next
use, and evaluates the agreed policy snapshot with ``contracts.evaluate`` (deny by default).
:func:`expire_due` moves agreements whose validity has ended to ``expired``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from contracts import (
    TRANSITIONS,
    Action,
    AgreementEvent,
    Decision,
    PolicyError,
    RequestContext,
    evaluate,
    policy_from_dict,
)
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.ids import looks_like_id
from marketplace.orders.models import Agreement
from marketplace.orders.transitions import apply, platform_actor

__all__ = ["authorize_use", "decision_for", "expire_due"]

#: The states the table lets expire (derived, not hard-coded).
EXPIRABLE = tuple(sorted({s for (s, e) in TRANSITIONS if e is AgreementEvent.EXPIRE}))


def _deny(reason: str) -> Decision:
    return Decision(False, None, (reason,))


def authorize_use(agreement_id: str, action: Action | str, *, purpose: str | None,
                  at: datetime, region: str | None = None,
                  recipient: str | None = None) -> Decision:
    """The decision for one use of ``agreement_id`` at ``at`` (``count_used`` prior uses)."""
    if not isinstance(agreement_id, str) or not looks_like_id(agreement_id):
        return _deny("no such agreement")
    row = db.session.execute(select(Agreement).where(Agreement.id == agreement_id)
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    return decision_for(row, action, purpose=purpose, at=at, region=region, recipient=recipient)


def decision_for(row: Agreement | None, action: Action | str, *, purpose: str | None,
                 at: datetime, region: str | None = None,
                 recipient: str | None = None) -> Decision:
    """:func:`authorize_use` on a row the caller has just read (and perhaps locked) itself."""
    if row is None:
        return _deny("no such agreement")
    try:
        policy = policy_from_dict(row.policy)
    except PolicyError:
        return _deny("the agreed policy cannot be read")
    return evaluate(policy, RequestContext(
        action=action, at=at, purpose=purpose, region=region, recipient=recipient,
        count_used=row.count_used, agreement_state=row.state, valid_from=row.valid_from,
        valid_until=row.valid_until))


def expire_due(now: datetime | None = None) -> list[str]:
    """Expire every agreement whose ``valid_until`` has passed; returns their ids. Each
    expiry is its own transaction; one moved meanwhile by another request is skipped."""
    moment = now or utcnow()
    due = list(db.session.scalars(select(Agreement.id).where(
        Agreement.state.in_(EXPIRABLE), Agreement.valid_until.is_not(None),
        Agreement.valid_until <= moment).order_by(Agreement.id)))
    db.session.rollback()
    expired = []
    for agreement_id in due:
        agreement = db.session.get(Agreement, agreement_id, populate_existing=True)
        if agreement is None or agreement.state not in EXPIRABLE:
            db.session.rollback()
            continue
        try:
            apply(agreement, AgreementEvent.EXPIRE, platform_actor(agreement.merchant_org_id),
                  reason="the validity period ended")
        except Conflict:
            continue
        db.session.commit()
        expired.append(agreement_id)
    return expired
