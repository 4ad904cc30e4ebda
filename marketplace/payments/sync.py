"""``flask --app marketplace payments sync`` and the worker's timer (issue 6 §2, §5): webhooks can
be lost, so pending attempts are settled from the provider's own state (an intent still open
for an order that ended unpaid is cancelled), pending refunds are retried (same
Idempotency-Key), unpaid agreements past ``PAYMENT_PENDING_TTL_MINUTES`` expire
(``payment_timeout``) and due metered-usage invoices are settled. Everything goes through the
same functions as the webhook.

No provider call is made while a database transaction is open (on SQLite every transaction
holds the write lock; on PostgreSQL an idle transaction pins a snapshot and any locks taken):
each pass reads what it needs, ends the transaction, calls the provider, then applies the
answer in a short transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from contracts import AgreementEvent, AgreementState
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.orders.models import Agreement, Order, OrderState
from marketplace.orders.payments import gateway
from marketplace.orders.transitions import apply, platform_actor
from marketplace.payments import cancel, services
from marketplace.payments.models import AttemptStatus, PaymentAttempt, Refund, RefundStatus

log = logging.getLogger(__name__)


def _pending_attempts() -> list[tuple[str, str, str | None, str, OrderState]]:
    """(attempt, order, intent, method, order state) of every pending attempt; ends the read."""
    rows = [tuple(r) for r in db.session.execute(
        select(PaymentAttempt.id, PaymentAttempt.order_id, PaymentAttempt.intent_id,
               PaymentAttempt.payment_method, Order.state)
        .join(Order, Order.id == PaymentAttempt.order_id)
        .where(PaymentAttempt.status == AttemptStatus.pending).order_by(PaymentAttempt.id))]
    db.session.rollback()
    return rows  # type: ignore[return-value]


def settle_attempts() -> int:
    """Ask the provider about every pending attempt; returns how many reached a final state.
    An intent still open for an order that ended unpaid is cancelled. Each provider call is
    made with no database transaction open; each answer is applied in a short one."""
    done = 0
    for attempt_id, order_id, intent_id, method, order_state in _pending_attempts():
        try:
            if intent_id:
                state = gateway().retrieve(intent_id)  # type: ignore[attr-defined]
                if state.status == "pending" and order_state is OrderState.unpaid:
                    state = gateway().cancel(intent_id, attempt_id)
                cancel.apply(order_id, attempt_id, state)
            else:  # the answer was lost: replaying the attempt returns the provider's result
                order = db.session.get(Order, order_id)
                assert order is not None
                services.apply_outcome(order, attempt_id, method)
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 503:
                log.warning("payments sync: provider unavailable for %s", attempt_id)
                continue
        current = db.session.scalar(select(PaymentAttempt.status).where(
            PaymentAttempt.id == attempt_id))
        db.session.rollback()
        done += current is not None and current is not AttemptStatus.pending
    return done


def retry_refunds() -> int:
    pending = list(db.session.scalars(select(Refund.id).where(
        Refund.status == RefundStatus.pending)))
    db.session.rollback()
    done = 0
    for refund_id in pending:
        try:
            services.execute(refund_id)
            done += 1
        except DomainError:
            db.session.rollback()
    return done


def expire_unpaid() -> list[str]:
    """Agreements still waiting for payment after the TTL (and with no attempt in flight)."""
    cutoff = utcnow() - timedelta(minutes=int(current_app.config["PAYMENT_PENDING_TTL_MINUTES"]))
    in_flight = select(PaymentAttempt.order_id).where(
        PaymentAttempt.status == AttemptStatus.pending)
    due = list(db.session.scalars(select(Agreement.id).join(
        Order, Order.id == Agreement.order_id).where(
        Order.state == OrderState.awaiting_payment, Order.created_at <= cutoff,
        Agreement.state == AgreementState.PENDING_PAYMENT, Order.id.not_in(in_flight))))
    db.session.rollback()
    expired = []
    for agreement_id in due:
        agreement = db.session.get(Agreement, agreement_id, populate_existing=True)
        if agreement is None or agreement.state is not AgreementState.PENDING_PAYMENT:
            continue
        try:
            apply(agreement, AgreementEvent.PAYMENT_TIMEOUT,
                  platform_actor(agreement.merchant_org_id),
                  reason="no payment within the payment window")
        except DomainError:
            continue
        db.session.commit()
        expired.append(agreement_id)
    return expired


def sync() -> dict[str, int]:
    from marketplace.revenue.invoice_payments import settle_due

    return {"attempts_settled": settle_attempts(), "refunds_retried": retry_refunds(),
            "agreements_expired": len(expire_unpaid()), "invoices_paid": settle_due()}
