"""Collecting a ``due`` invoice (issue 6 §3) through the configured payment gateway.

:func:`open_due` creates one unconfirmed PaymentIntent per due invoice (Idempotency-Key derived
from the invoice id, metadata ``invoice_id``; the buyer confirms it with the provider) and
stores its id. When the provider reports it succeeded — the webhook, or ``payments sync`` via
:func:`settle_due` — :func:`paid` posts a sale (reference: the invoice id) split by the fee
schedule in force at the period's last instant, and marks the invoice ``paid``; a second
report changes nothing; either also finishes the buyer's pay attempts
(:mod:`.invoice_pay`). The provider is never called inside a database transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.orders.payments import gateway
from marketplace.revenue.billing_models import Invoice, InvoiceAttempt, InvoiceStatus, PayStatus
from marketplace.revenue.errors import AlreadyPosted
from marketplace.revenue.journal import post_sale

log = logging.getLogger(__name__)
LAST_INSTANT = timedelta(microseconds=1)


def _due(with_intent: bool) -> list[tuple[str, str | None, int, str]]:
    condition = Invoice.intent_id.is_not(None) if with_intent else Invoice.intent_id.is_(None)
    rows = [tuple(r) for r in db.session.execute(
        select(Invoice.id, Invoice.intent_id, Invoice.amount_fen, Invoice.currency)
        .where(Invoice.status == InvoiceStatus.due, condition).order_by(Invoice.id))]
    db.session.rollback()  # the read ends before the provider is called
    return rows  # type: ignore[return-value]


def open_due() -> int:
    """A PaymentIntent for every due invoice without one; returns how many were opened."""
    opened = 0
    for invoice_id, _none, amount, currency in _due(with_intent=False):
        try:
            open_one(invoice_id, amount, currency)
        except DomainError:
            log.warning("could not open a payment for invoice %s; payments sync retries",
                        invoice_id)
            continue
        opened += 1
    return opened


def open_one(invoice_id: str, amount: int, currency: str) -> str:
    """Open the invoice's PaymentIntent (idempotent on the invoice id) and store it; returns
    the stored intent id. Call with no transaction open."""
    state = gateway().open_invoice(invoice_id, amount, currency)  # type: ignore[attr-defined]
    db.session.execute(update(Invoice).where(Invoice.id == invoice_id,
                                             Invoice.intent_id.is_(None))
                       .values(intent_id=state.intent_id)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    stored = db.session.scalar(select(Invoice.intent_id).where(Invoice.id == invoice_id))
    db.session.rollback()
    return str(stored)


def settle_attempts(invoice_id: str, status: PayStatus, decline_code: str | None = None,
                    only: PayStatus | None = None) -> None:
    """Move the invoice's unfinished pay attempts (or those in ``only``) to ``status``, in the
    caller's transaction."""
    unfinished = [only] if only else [PayStatus.pending, PayStatus.action_required]
    db.session.execute(update(InvoiceAttempt).where(
        InvoiceAttempt.invoice_id == invoice_id, InvoiceAttempt.status.in_(unfinished))
        .values(status=status, decline_code=decline_code, updated_at=utcnow())
        .execution_options(synchronize_session=False))


def paid(invoice_id: str, intent_id: str) -> Invoice:
    """The provider captured the invoice's payment: post the sale, mark it paid (commits)."""
    from marketplace.payments.settle import fee_schedule  # lazy: payments builds on revenue

    invoice = db.session.get(Invoice, invoice_id, populate_existing=True, with_for_update=True)
    if invoice is None:
        raise NotFound("No such invoice.")
    if invoice.status is InvoiceStatus.paid:
        settle_attempts(invoice_id, PayStatus.succeeded)
        db.session.commit()
        return invoice
    if invoice.status is not InvoiceStatus.due or invoice.intent_id not in (None, intent_id):
        raise Conflict("That payment is not this invoice's.")
    schedule = fee_schedule(invoice.currency, invoice.period_end - LAST_INSTANT)
    try:
        txn = post_sale(reference=invoice.id, merchant_org_id=invoice.merchant_org_id,
                        gross_fen=invoice.amount_fen, currency=invoice.currency,
                        schedule=schedule, occurred_at=utcnow(),
                        memo=f"invoice {invoice.period} payment {intent_id}")
    except AlreadyPosted:  # a concurrent report won
        db.session.rollback()
        return db.session.get(Invoice, invoice_id, populate_existing=True)  # type: ignore[return-value]
    db.session.execute(update(Invoice).where(Invoice.id == invoice.id,
                                             Invoice.status == InvoiceStatus.due)
                       .values(status=InvoiceStatus.paid, paid_at=utcnow(), intent_id=intent_id,
                               journal_transaction_id=txn.id)
                       .execution_options(synchronize_session=False))
    settle_attempts(invoice_id, PayStatus.succeeded)
    db.session.commit()
    return db.session.get(Invoice, invoice_id, populate_existing=True)  # type: ignore[return-value]


def invoice_of(obj: dict[str, Any]) -> str | None:
    """The invoice a provider PaymentIntent is for (metadata, else our stored intent id)."""
    hint = (obj.get("metadata") or {}).get("invoice_id")
    return db.session.scalar(select(Invoice.id).where(or_(
        Invoice.id == str(hint or ""), Invoice.intent_id == str(obj.get("id") or ""))))


def settle_due() -> int:
    """``payments sync``: open missing intents, replay pay attempts whose answer was lost,
    then ask the provider about the open intents; returns how many invoices became paid."""
    from marketplace.revenue.invoice_pay import resume_pending  # lazy: it builds on this

    open_due()
    resume_pending()
    settled = 0
    for invoice_id, intent_id, _amount, _currency in _due(with_intent=True):
        try:
            state = gateway().retrieve(intent_id)  # type: ignore[attr-defined]
            if state.status == "succeeded":
                paid(invoice_id, state.intent_id)
                settled += 1
            elif state.status == "failed":  # e.g. 3-D Secure failed: the invoice stays due
                settle_attempts(invoice_id, PayStatus.failed, state.decline_code or "failed",
                                only=PayStatus.action_required)
                db.session.commit()
        except DomainError:
            db.session.rollback()
            log.warning("payments sync: could not settle invoice %s", invoice_id)
    return settled
