"""Withdrawing an order's open payments at the provider (issue 6 §5): when a license ends before
it is paid (the operator revokes it, or it expires), a PaymentIntent still open at the provider
must not capture money later. ``POST /v1/payment_intents/{id}/cancel`` (Idempotency-Key from
the attempt id) is sent for every pending attempt that has an intent.

The attempts are read and the transaction ended *before* the provider is called; each answer is
applied in its own short transaction through :mod:`.settle`: a cancelled intent fails its
attempt (``canceled``); one the provider had captured first is settled as a success (the sale
is posted; the license stays ended — refunding is the operator's call). A provider failure is
logged and left to ``payments sync``, which cancels pending intents of unpaid orders.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.orders.payments import gateway
from marketplace.payments import settle
from marketplace.payments.models import AttemptStatus, PaymentAttempt

log = logging.getLogger(__name__)


def open_intents(order_id: str) -> list[tuple[str, str]]:
    """(attempt id, intent id) of the order's pending attempts; ends the read transaction."""
    rows = [(a, i) for a, i in db.session.execute(
        select(PaymentAttempt.id, PaymentAttempt.intent_id).where(
            PaymentAttempt.order_id == order_id, PaymentAttempt.status == AttemptStatus.pending,
            PaymentAttempt.intent_id.is_not(None)).order_by(PaymentAttempt.id))]
    db.session.rollback()
    return rows


def apply(order_id: str, attempt_id: str, state: Any) -> None:
    """Apply the provider's final word on one attempt (commits); pending changes nothing."""
    if state.status == "succeeded":
        settle.succeeded(order_id, state.intent_id, attempt_id)
    elif state.status == "failed":
        settle.failed(order_id, state.intent_id, state.decline_code or "canceled", attempt_id)


def cancel_open(order_id: str) -> int:
    """Cancel the intents of the order's pending attempts; returns how many ended failed."""
    cancelled = 0
    for attempt_id, intent_id in open_intents(order_id):
        try:
            state = gateway().cancel(intent_id, attempt_id)
            apply(order_id, attempt_id, state)
        except DomainError:
            db.session.rollback()
            log.warning("could not cancel %s of order %s; payments sync retries", intent_id,
                        order_id)
            continue
        cancelled += state.status == "failed"
    return cancelled
