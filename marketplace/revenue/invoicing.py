"""Metered plans invoiced per billing period from recorded usage (issue 6 §3).

A billing period is a UTC calendar month ``YYYY-MM``, the instants ``[start, end)``. Every
agreement on a metered plan that was live during the period (activated before its end, not
ended — a terminal state reached, or ``valid_until`` passed — by its start) or that recorded
usage in it gets one invoice, priced from the price snapshot the buyer accepted
(``unit``, ``unit_price_fen``, ``included_quota``)::

    units     = Σ n of its usage rows (access_usage) with the plan's unit, start ≤ at < end
    billable  = max(0, units − included_quota)          the quota is per period
    amount    = billable × unit_price_fen

The invoice is unique per (agreement, period): re-running a period creates nothing, and of two
concurrent runs only one insert per agreement succeeds (the other is skipped). Each invoice is
committed on its own. A zero amount is recorded as ``zero`` and never charged; any other is
``due`` and :mod:`.invoice_payments` opens a PaymentIntent for it. Only a period that has ended
can be invoiced: its usage is then complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from contracts import TERMINAL_STATES
from marketplace.access.models import UsageRecord, UsageUnit
from marketplace.db import db
from marketplace.errors import ValidationFailed
from marketplace.ids import new_id
from marketplace.orders.models import Agreement, AgreementEventRow
from marketplace.revenue.billing_models import Invoice, InvoiceStatus

_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # not \d: "２０２４-01" is no period


@dataclass(frozen=True)
class RunResult:
    period: str
    created: int
    existing: int
    due: int
    zero: int


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """``(start, end)`` of the month ``YYYY-MM`` in UTC; 422 for anything else."""
    match = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None or int(match[1]) < 1970:
        raise ValidationFailed(errors={"period": ["A month as YYYY-MM (1970 or later)."]})
    year, month = int(match[1]), int(match[2])
    return (datetime(year, month, 1, tzinfo=UTC),
            datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC))


def candidates(start: datetime, end: datetime) -> list[str]:
    """Ids of the metered agreements to invoice for ``[start, end)``."""
    ended = exists().where(AgreementEventRow.agreement_id == Agreement.id,
                           AgreementEventRow.to_state.in_(list(TERMINAL_STATES)),
                           AgreementEventRow.at <= start)
    live = and_(Agreement.valid_from.is_not(None), Agreement.valid_from < end,
                or_(Agreement.valid_until.is_(None), Agreement.valid_until > start), ~ended)
    used = select(UsageRecord.agreement_id).where(UsageRecord.at >= start, UsageRecord.at < end)
    return list(db.session.scalars(select(Agreement.id).where(
        Agreement.price["kind"].as_string() == "metered",
        or_(live, Agreement.id.in_(used))).order_by(Agreement.id)))


def units_used(agreement_id: str, unit: UsageUnit, start: datetime, end: datetime) -> int:
    total = db.session.scalar(select(func.coalesce(func.sum(UsageRecord.n), 0)).where(
        UsageRecord.agreement_id == agreement_id, UsageRecord.unit == unit,
        UsageRecord.at >= start, UsageRecord.at < end))
    return int(total or 0)


def _issue_one(agreement_id: str, period: str, start: datetime, end: datetime,
               now: datetime) -> Invoice | None:
    """Create and commit the agreement's invoice; None when it exists already."""
    if db.session.scalar(select(Invoice.id).where(Invoice.agreement_id == agreement_id,
                                                  Invoice.period == period)) is not None:
        db.session.rollback()
        return None
    agreement = db.session.get(Agreement, agreement_id)
    assert agreement is not None
    price = agreement.price
    unit, quota = UsageUnit(price["unit"]), int(price.get("included_quota") or 0)
    unit_price, used = int(price.get("unit_price_fen") or 0), units_used(
        agreement_id, unit, start, end)
    billable = max(0, used - quota)
    invoice = Invoice(
        id=new_id("inv"), agreement_id=agreement_id, period=period,
        buyer_org_id=agreement.buyer_org_id, merchant_org_id=agreement.merchant_org_id,
        currency=price["currency"], unit=unit.value, units_used=used, included_quota=quota,
        billable_units=billable, unit_price_fen=unit_price, amount_fen=billable * unit_price,
        status=InvoiceStatus.due if billable * unit_price else InvoiceStatus.zero,
        period_start=start, period_end=end, created_at=now)
    db.session.add(invoice)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent run created it first
        db.session.rollback()
        return None
    return invoice


def issue(period: str, now: datetime) -> RunResult:
    """Invoice every candidate agreement for ``period`` (a month that ended before ``now``)."""
    start, end = period_bounds(period)
    if end > now:
        raise ValidationFailed(errors={"period": ["Only a month that has ended is invoiced."]})
    ids = candidates(start, end)
    db.session.rollback()
    created = due = zero = 0
    for agreement_id in ids:
        invoice = _issue_one(agreement_id, period, start, end, now)
        if invoice is None:
            continue
        created += 1
        due += invoice.status is InvoiceStatus.due
        zero += invoice.status is InvoiceStatus.zero
    return RunResult(period, created, len(ids) - created, due, zero)
