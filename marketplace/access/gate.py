"""May this license be used now, and count the use exactly (issue 7 §1).

:func:`decide` reads the agreement row as committed at the moment of the call (never a cached
copy) and evaluates it with :func:`marketplace.orders.access.decision_for` (the same rule as
``authorize_use``, one read), so a revocation is effective on the very next call. A denial is
402 when only the count quota stands in the way (the same request would be allowed at
``count_used = 0``), else 403 with the evaluator's reasons.

:func:`consume` counts one use: it reads the row ``FOR UPDATE`` (PostgreSQL; SQLite holds the
write lock from ``BEGIN IMMEDIATE``), decides on it, then ``UPDATE agreements SET count_used =
n + 1 WHERE id = :id AND count_used = n`` with the ``n`` that decision saw. The row lock makes
concurrent uses queue instead of racing (no retry storm); the compare-and-set keeps the count
exact even without it. Exactly ``quota`` uses succeed and none is counted twice.
:func:`refund` takes back a use whose answer was never delivered (a failed sandbox run).
:func:`meter` writes the billing row and bumps the listing's popularity. None commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from contracts import Action, Decision, PolicyError, RequestContext, evaluate, policy_from_dict
from marketplace.access.models import UsageRecord, UsageUnit
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, DomainError, Forbidden, PaymentRequired
from marketplace.ids import new_id
from marketplace.listings.stats import record_usage
from marketplace.orders.access import decision_for
from marketplace.orders.models import Agreement

__all__ = ["consume", "decide", "denial", "meter", "refund"]

RETRIES = 20


def decide(agreement_id: str, action: Action, purpose: str | None, at: datetime,
           lock: bool = False) -> tuple[Agreement | None, Decision]:
    """The current agreement row (None if missing; row-locked with ``lock``) and the decision
    for one more use."""
    query = select(Agreement).where(Agreement.id == agreement_id)
    if lock:
        query = query.with_for_update()
    row = db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    return row, decision_for(row, action, purpose=purpose, at=at)


def _quota_only(row: Agreement, action: Action, purpose: str | None, at: datetime) -> bool:
    try:
        policy = policy_from_dict(row.policy)
    except PolicyError:  # an unreadable policy is a plain denial
        return False
    return evaluate(policy, RequestContext(
        action=action, at=at, purpose=purpose, count_used=0, agreement_state=row.state,
        valid_from=row.valid_from, valid_until=row.valid_until)).allowed


def denial(row: Agreement | None, decision: Decision, action: Action, purpose: str | None,
           at: datetime) -> DomainError:
    """402 when the count quota is the only obstacle, else 403 naming the reasons."""
    if row is not None and _quota_only(row, action, purpose, at):
        return PaymentRequired("The license's usage quota is used up.",
                               reasons=list(decision.reasons))
    return Forbidden("The license does not permit this use now.",
                     reasons=list(decision.reasons))


def consume(agreement_id: str, action: Action, purpose: str | None) -> Agreement:
    """Count one use of the agreement (no commit; the row stays locked until the transaction
    ends); 402/403 if it is not allowed now."""
    at = utcnow()
    for _ in range(RETRIES):
        row, decision = decide(agreement_id, action, purpose, at, lock=True)
        if row is None or not decision.allowed:
            raise denial(row, decision, action, purpose, at)
        seen = row.count_used
        result = db.session.execute(
            update(Agreement).where(Agreement.id == agreement_id, Agreement.count_used == seen)
            .values(count_used=seen + 1).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return row
    raise Conflict("The license is busy; retry the request.")


def refund(agreement_id: str) -> None:
    """Take back one counted use (its answer was never delivered). No commit."""
    db.session.execute(
        update(Agreement).where(Agreement.id == agreement_id, Agreement.count_used > 0)
        .values(count_used=Agreement.count_used - 1).execution_options(synchronize_session=False))


def meter(agreement_id: str, listing_id: str, unit: UsageUnit, principal: Principal,
          n: int = 1) -> None:
    """One usage row for billing (payments invoice them per period) and listing popularity."""
    db.session.add(UsageRecord(
        id=new_id("use"), agreement_id=agreement_id, unit=unit, n=n, at=utcnow(),
        api_key_id=principal.api_key_id,
        user_id=None if principal.api_key_id else principal.user_id))
    record_usage(listing_id, n)
