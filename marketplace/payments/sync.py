"""``flask --app marketplace payments sync`` and the worker's timer (issue 6 §2, §5): webhooks can
be lost, so pending attempts are settled from the provider's own state, pending refunds are
retried (same Idempotency-Key), and unpaid agreements past ``PAYMENT_PENDING_TTL_MINUTES``
expire (``payment_timeout``). Everything goes through the same functions as the webhook.
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
from marketplace.payments import services, settle
from marketplace.payments.models import AttemptStatus, PaymentAttempt, Refund, RefundStatus

log = logging.getLogger(__name__)


def settle_attempts() -> int:
    """Ask the provider about every pending attempt; returns how many reached a final state."""
    pending = list(db.session.scalars(select(PaymentAttempt.id).where(
        PaymentAttempt.status == AttemptStatus.pending).order_by(PaymentAttempt.id)))
    db.session.rollback()
    done = 0
    for attempt_id in pending:
        attempt = db.session.get(PaymentAttempt, attempt_id, populate_existing=True)
        order = db.session.get(Order, attempt.order_id) if attempt else None
        if attempt is None or order is None or attempt.status is not AttemptStatus.pending:
            continue
        try:
            if attempt.intent_id:
                state = gateway().retrieve(attempt.intent_id)  # type: ignore[attr-defined]
                if state.status == "succeeded":
                    settle.succeeded(order.id, state.intent_id, attempt.id)
                elif state.status == "failed":
                    settle.failed(order.id, state.intent_id,
                                  state.decline_code or "payment_failed", attempt.id)
            else:  # the answer was lost: replaying the attempt returns the provider's result
                services.apply_outcome(order, attempt.id, attempt.payment_method)
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 503:
                log.warning("payments sync: provider unavailable for %s", attempt_id)
                continue
        current = db.session.get(PaymentAttempt, attempt_id, populate_existing=True)
        done += current is not None and current.status is not AttemptStatus.pending
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
    return {"attempts_settled": settle_attempts(), "refunds_retried": retry_refunds(),
            "agreements_expired": len(expire_unpaid())}
