"""Fee schedules over time (issue 6 §3): versions per currency, never edited.

The schedule in force at *t* is the version with the latest ``effective_from`` ≤ *t*; a sale is
split by the schedule in force when its order was placed. Changing fees means adding a version
(usually effective from a future moment), so past splits stay reproducible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.revenue import checks
from marketplace.revenue.fees import Fees
from marketplace.revenue.models import FeeSchedule


def schedule_in_force(currency: str, at: datetime) -> FeeSchedule:
    """The version in force at ``at``; ``NotFound`` when none had started by then."""
    checks.currency(currency)
    checks.instant(at, "at")
    schedule = db.session.scalars(
        select(FeeSchedule).where(FeeSchedule.currency == currency,
                                  FeeSchedule.effective_from <= at)
        .order_by(FeeSchedule.effective_from.desc()).limit(1)).first()
    if schedule is None:
        raise NotFound(f"No {currency} fee schedule was in force at {at.isoformat()}.")
    return schedule


def add_schedule(*, currency: str, effective_from: datetime, platform_bps: int,
                 public_service_bps: int, minimum_fee_fen: int) -> FeeSchedule:
    """Add a version, in the caller's transaction (no commit); 409 if one already starts at
    the same instant."""
    checks.currency(currency)
    checks.instant(effective_from, "effective_from")
    numbers = (platform_bps, public_service_bps, minimum_fee_fen)
    if any(isinstance(n, bool) or not isinstance(n, int) for n in numbers):
        raise ValidationFailed(errors={"fees": ["Basis points and the minimum are integers."]})
    try:
        Fees(platform_bps, public_service_bps, minimum_fee_fen)
    except ValueError as exc:
        raise ValidationFailed(errors={"fees": [str(exc)]}) from exc
    schedule = FeeSchedule(
        id=new_id("fee"), currency=currency, effective_from=effective_from,
        platform_bps=platform_bps, public_service_bps=public_service_bps,
        minimum_fee_fen=minimum_fee_fen, created_at=utcnow())
    taken = db.session.scalar(select(FeeSchedule.id).where(
        FeeSchedule.currency == currency, FeeSchedule.effective_from == effective_from))
    if taken is not None:
        raise Conflict(f"A {currency} fee schedule already starts at that instant.")
    db.session.add(schedule)
    db.session.flush()
    return schedule
