"""``POST /revenue/invoices/{id}/pay`` (issue 6 §1, §3): the buyer pays a due metered-usage
invoice by confirming its PaymentIntent with a payment method.

As for orders (:mod:`marketplace.payments.services`), an attempt row — unique per (invoice,
``Idempotency-Key``), its id deriving the provider's Idempotency-Keys — is committed *before*
the provider is called, and no transaction is open while the provider answers. The same key
and body replay the attempt (a lost answer is asked again, never charged twice; a decline is
402 again), another body is 422. Success goes through :func:`.invoice_payments.paid`, the
function the webhook and ``payments sync`` call, so the sale is posted once whoever reports
first. A decline is 402 with the decline code and leaves the invoice ``due``; a ``zero`` or
``paid`` invoice is 409, and so is a call while another attempt still awaits its answer.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ledger.canonical import dumps_canonical
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.ids import new_id
from marketplace.orders.ordering import HEADER, check_key
from marketplace.orders.payments import gateway
from marketplace.payments.errors import CardDeclined, PaymentProviderError
from marketplace.revenue import billing, invoice_payments
from marketplace.revenue.billing_models import Invoice, InvoiceAttempt, InvoiceStatus, PayStatus


def pay(principal: Principal | None, invoice_id: str, key: str | None,
        payment_method: str) -> tuple[Invoice, bool]:
    """Pay the invoice with ``payment_method``; returns it and whether this was a replay."""
    invoice = billing.get(principal, invoice_id)  # 404 for those who may not read it
    authorize(principal, "revenue.invoice.pay", invoice)  # 403 for its merchant, staff
    key = check_key(key)
    fingerprint = hashlib.sha256(dumps_canonical({"payment_method": payment_method})).hexdigest()
    earlier = db.session.scalar(select(InvoiceAttempt).where(
        InvoiceAttempt.invoice_id == invoice.id, InvoiceAttempt.idempotency_key == key))
    if earlier is not None:
        if earlier.request_fingerprint != fingerprint:
            raise ValidationFailed(f"This {HEADER} was already used for a different request.",
                                   errors={HEADER: ["Already used with a different body."]})
        if earlier.status is PayStatus.pending:
            return _apply(earlier.id), False
        if earlier.status is PayStatus.failed:
            raise _declined(earlier.decline_code, invoice.intent_id)
        return _reload(invoice.id), True
    # Serialise attempts on one invoice (row lock on PostgreSQL; SQLite: BEGIN IMMEDIATE).
    invoice = db.session.get(Invoice, invoice.id, populate_existing=True, with_for_update=True)
    assert invoice is not None
    if invoice.status is not InvoiceStatus.due:
        raise Conflict(f"The invoice is {invoice.status.value}: nothing is due.",
                       state=invoice.status.value)
    if db.session.scalar(select(InvoiceAttempt.id).where(
            InvoiceAttempt.invoice_id == invoice.id,
            InvoiceAttempt.status == PayStatus.pending)) is not None:
        raise Conflict("A payment attempt is still being settled; try again shortly.")
    now = utcnow()
    attempt = InvoiceAttempt(id=new_id("ipa"), invoice_id=invoice.id, idempotency_key=key,
                             request_fingerprint=fingerprint, payment_method=payment_method,
                             status=PayStatus.pending,
                             created_by=principal.user_id if principal else None,
                             created_at=now, updated_at=now)
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request with the same key won
        db.session.rollback()
        return pay(principal, invoice_id, key, payment_method)
    return _apply(attempt.id), False


def _declined(code: str | None, intent_id: str | None) -> CardDeclined:
    return CardDeclined(code="card_declined", decline_code=code or "card_declined",
                        payment_intent_id=intent_id)


def _reload(invoice_id: str) -> Invoice:
    return db.session.get(Invoice, invoice_id, populate_existing=True)  # type: ignore[return-value]


def _finish(attempt_id: str, status: PayStatus, code: str | None = None) -> None:
    db.session.execute(update(InvoiceAttempt).where(InvoiceAttempt.id == attempt_id)
                       .values(status=status, decline_code=code, updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _apply(attempt_id: str) -> Invoice:
    """Ask the provider (again: the same attempt replays) and apply what it says."""
    attempt = db.session.get(InvoiceAttempt, attempt_id, populate_existing=True)
    assert attempt is not None
    invoice = db.session.get(Invoice, attempt.invoice_id, populate_existing=True)
    assert invoice is not None
    invoice_id, intent_id, method = invoice.id, invoice.intent_id, attempt.payment_method
    amount, currency = invoice.amount_fen, invoice.currency
    db.session.rollback()  # no transaction is open while the provider answers
    try:
        if intent_id is None:  # the run could not open it: open it now (idempotent)
            intent_id = invoice_payments.open_one(invoice_id, amount, currency)
        state = gateway().pay_invoice(attempt_id, intent_id, method)  # type: ignore[attr-defined]
    except PaymentProviderError as exc:
        if exc.status != 503:  # our request was refused: this attempt is over
            _finish(attempt_id, PayStatus.failed, "provider_error")
        raise
    if state.status == "succeeded":
        return invoice_payments.paid(invoice_id, state.intent_id)  # finishes the attempt
    if state.status == "failed":
        code = state.decline_code or "card_declined"
        _finish(attempt_id, PayStatus.failed, code)
        raise _declined(code, state.intent_id)
    _finish(attempt_id, PayStatus.action_required)
    return _reload(invoice_id)


def resume_pending() -> int:
    """``payments sync``: replay every attempt whose answer was lost; returns how many."""
    pending = list(db.session.scalars(select(InvoiceAttempt.id).where(
        InvoiceAttempt.status == PayStatus.pending).order_by(InvoiceAttempt.id)))
    db.session.rollback()
    for attempt_id in pending:
        try:
            _apply(attempt_id)
        except DomainError:  # declined, or the provider is still unreachable
            db.session.rollback()
    return len(pending)
