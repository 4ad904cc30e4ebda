"""May this license be used now, and count the use exactly (issue 7 §1).

:func:`decide` asks :func:`marketplace.orders.access.authorize_use` (the committed agreement
row, its policy snapshot, ``contracts.evaluate``), so a revocation is effective on the very next
call. A denial is 402 when only the count quota stands in the way (the same request would be
allowed at ``count_used = 0``), else 403 with the evaluator's reasons.

:func:`consume` counts one use with a compare-and-set ``UPDATE agreements SET count_used = n + 1
WHERE id = :id AND count_used = n`` where ``n`` is the count the allowing decision saw. Two
concurrent uses cannot both pass with the same ``n``: the loser matches nothing, re-decides
with the new count and retries, so exactly ``quota`` uses succeed and none is counted twice.
:func:`meter` writes the billing row and bumps the listing's popularity. None commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from contracts import Action, Decision, PolicyError, RequestContext, evaluate, policy_from_dict
from marketplace.access.models import UsageRecord, UsageUnit
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, DomainError, Forbidden, PaymentRequired
from marketplace.ids import new_id
from marketplace.listings.stats import record_usage
from marketplace.orders.access import authorize_use
from marketplace.orders.models import Agreement

__all__ = ["consume", "decide", "denial", "meter"]

RETRIES = 200


def decide(agreement_id: str, action: Action, purpose: str | None,
           at: datetime) -> tuple[Agreement | None, Decision]:
    """The current agreement row (None if missing) and the decision for one more use."""
    decision = authorize_use(agreement_id, action, purpose=purpose, at=at)
    return db.session.get(Agreement, agreement_id), decision


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


def consume(agreement_id: str, action: Action, purpose: str | None,
            decided: tuple[Agreement | None, Decision] | None = None) -> Agreement:
    """Count one use of the agreement (no commit); 402/403 if it is (no longer) allowed."""
    at = utcnow()
    del decided  # an earlier decision's row may have been refreshed since: decide again, so
    # the count the CAS compares is exactly the count the allowing decision saw
    for _ in range(RETRIES):
        row, decision = decide(agreement_id, action, purpose, at)
        if row is None or not decision.allowed:
            raise denial(row, decision, action, purpose, at)
        seen = row.count_used
        result = db.session.execute(
            update(Agreement).where(Agreement.id == agreement_id, Agreement.count_used == seen)
            .values(count_used=seen + 1).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return row
    raise Conflict("The license is busy; retry the request.")


def meter(agreement: Agreement, unit: UsageUnit, principal: Principal, n: int = 1) -> None:
    """One usage row for billing (payments invoice them per period) and listing popularity."""
    db.session.add(UsageRecord(
        id=new_id("use"), agreement_id=agreement.id, unit=unit, n=n, at=utcnow(),
        api_key_id=principal.api_key_id,
        user_id=None if principal.api_key_id else principal.user_id))
    record_usage(agreement.listing_id, n)
