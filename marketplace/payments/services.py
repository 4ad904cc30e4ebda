"""Paying and refunding orders (issue 6 §1, §3, §5): ``POST /orders/{id}/pay`` (the buyer) and
``POST /orders/{id}/refund`` (the operator).

An attempt row (our transaction id) is committed *before* the provider is called, so an answer
lost on the way back leaves a pending attempt that ``payments sync`` settles by replaying the
same Idempotency-Key — the card is never charged twice. The outcome is then applied by
:mod:`.settle` (one transaction: attempt, sale posting, agreement move, ledger entry). A
decline is 402 with the provider's decline code; the agreement stays pending.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ledger.canonical import dumps_canonical
from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.orders.models import Agreement, Order, OrderState
from marketplace.orders.ordering import HEADER, check_key
from marketplace.orders.payments import gateway
from marketplace.payments import settle
from marketplace.payments.errors import CardDeclined, PaymentProviderError
from marketplace.payments.models import AttemptStatus, PaymentAttempt, Refund, RefundStatus
from marketplace.revenue import balances
from marketplace.revenue.errors import RefundExceedsCaptured
from marketplace.revenue.models import JournalTransaction, TransactionKind


def _order(principal: Principal | None, order_id: str, action: str) -> Order:
    p = authorize(principal, "element.lookup")
    order = get_by_id(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    authorize(p, action, order)
    return order


def agreement_of(order_id: str) -> Agreement:
    return db.session.execute(select(Agreement).where(Agreement.order_id == order_id)
                              .execution_options(populate_existing=True)).scalar_one()


def pay(principal: Principal | None, order_id: str, payment_method: str) -> Order:
    """Charge ``payment_method`` for the order; returns the order once the provider answered."""
    order = _order(principal, order_id, "order.pay")
    if order.state is not OrderState.awaiting_payment:
        raise Conflict(f"The order is {order.state.value}: nothing is due.",
                       state=order.state.value)
    in_flight = db.session.scalar(select(func.count()).select_from(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id, PaymentAttempt.status == AttemptStatus.pending))
    if in_flight:
        raise Conflict("A payment attempt is still being settled; try again shortly.")
    now = utcnow()
    attempt = PaymentAttempt(id=new_id("pat"), order_id=order.id,
                             provider=getattr(gateway(), "provider", "unknown"),
                             payment_method=payment_method, status=AttemptStatus.pending,
                             amount_fen=order.amount_fen, currency=order.currency,
                             created_at=now, updated_at=now)
    db.session.add(attempt)
    db.session.commit()
    apply_outcome(order, attempt.id, payment_method)
    return db.session.get(Order, order_id, populate_existing=True)  # type: ignore[return-value]


def detached(order: Order) -> Order:
    """The order's row loaded and detached, and the transaction ended, so the provider is
    called while no transaction (and no lock) is held."""
    db.session.refresh(order)
    db.session.expunge(order)
    db.session.rollback()
    return order


def apply_outcome(order: Order, attempt_id: str, payment_method: str) -> None:
    """Ask the provider (again: the same attempt replays) and apply what it says."""
    order = detached(order)
    try:
        state = gateway().pay(order, attempt_id, payment_method)  # type: ignore[attr-defined]
    except PaymentProviderError as exc:
        if exc.status != 503:  # our request was refused: this attempt is over
            settle.move_attempt(attempt_id, AttemptStatus.failed, decline_code="provider_error")
            db.session.commit()
        raise
    db.session.execute(update(PaymentAttempt).where(PaymentAttempt.id == attempt_id)
                       .values(intent_id=state.intent_id)
                       .execution_options(synchronize_session=False))
    if state.status == "succeeded":
        settle.succeeded(order.id, state.intent_id, attempt_id)
    elif state.status == "failed":
        code = state.decline_code or "card_declined"
        settle.failed(order.id, state.intent_id, code, attempt_id)
        raise CardDeclined(code="card_declined", decline_code=code,
                           payment_intent_id=state.intent_id)
    else:
        db.session.commit()


def _fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(dumps_canonical(data)).hexdigest()


def _sale(order_id: str) -> JournalTransaction:
    sale = db.session.scalar(select(JournalTransaction).where(
        JournalTransaction.kind == TransactionKind.sale,
        JournalTransaction.reference == order_id))
    if sale is None:
        raise Conflict("Nothing was captured for this order: there is nothing to refund.")
    return sale


def paid_intent(order: Order) -> str:
    intent = db.session.scalar(select(PaymentAttempt.intent_id).where(
        PaymentAttempt.order_id == order.id, PaymentAttempt.status == AttemptStatus.succeeded))
    return intent or order.payment_ref or ""


def refund(principal: Principal | None, order_id: str, key: str | None,
           data: dict[str, Any]) -> tuple[Refund, bool]:
    """Refund all or part of a paid order, once per ``Idempotency-Key``."""
    order = _order(principal, order_id, "order.refund")
    key = check_key(key)
    fingerprint = _fingerprint(data)
    earlier = db.session.scalar(select(Refund).where(Refund.order_id == order.id,
                                                     Refund.idempotency_key == key))
    if earlier is not None:
        if earlier.request_fingerprint != fingerprint:
            raise ValidationFailed(f"This {HEADER} was already used for a different request.",
                                   errors={HEADER: ["Already used with a different body."]})
        if earlier.status is RefundStatus.pending:
            return execute(earlier.id), False
        return earlier, True
    # Serialise refunds of one order (row lock on PostgreSQL; SQLite transactions already
    # begin IMMEDIATE) and count refunds still in flight at the provider: two requests with
    # different keys must not both be sent for the same captured money.
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    sale = _sale(order.id)
    in_flight = int(db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.order_id == order.id, Refund.status == RefundStatus.pending)) or 0)  # PG: numeric
    refundable = balances.sale_split(sale).gross_fen - balances.refunded(sale) - in_flight
    amount = data.get("amount_fen") or refundable
    if amount > refundable or refundable <= 0:
        raise RefundExceedsCaptured(f"At most {refundable} can still be refunded.",
                                    refundable_fen=refundable)
    row = Refund(id=new_id("rfd"), order_id=order.id, idempotency_key=key,
                 request_fingerprint=fingerprint, amount_fen=amount, currency=order.currency,
                 reason=data["reason"], status=RefundStatus.pending,
                 created_by=principal.user_id if principal else None, created_at=utcnow())
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return refund(principal, order_id, key, data)
    return execute(row.id), False


def execute(refund_id: str) -> Refund:
    """Have the provider refund (idempotent on our refund id), then book it (commits)."""
    row = db.session.get(Refund, refund_id, populate_existing=True)
    assert row is not None
    order = db.session.get(Order, row.order_id)
    assert order is not None
    order_id, intent, amount = order.id, paid_intent(order), row.amount_fen
    db.session.rollback()  # no transaction is open while the provider answers
    try:
        provider_id = gateway().refund(refund_id, intent, amount)  # type: ignore[attr-defined]
    except PaymentProviderError as exc:
        if exc.status != 503:
            db.session.execute(update(Refund).where(
                Refund.id == refund_id, Refund.status == RefundStatus.pending)
                .values(status=RefundStatus.failed).execution_options(synchronize_session=False))
            db.session.commit()
        raise
    txn = settle.refunded(order_id, provider_id, amount)
    row = db.session.get(Refund, refund_id, populate_existing=True)
    assert row is not None
    row.provider_refund_id, row.status = provider_id, RefundStatus.succeeded
    row.journal_transaction_id = txn.id
    db.session.commit()
    return row


def refund_document(row: Refund) -> dict[str, Any]:
    order, agreement = db.session.get(Order, row.order_id), agreement_of(row.order_id)
    return {"id": row.id, "order_id": row.order_id, "amount_fen": row.amount_fen,
            "currency": row.currency, "reason": row.reason, "status": row.status.value,
            "provider_refund_id": row.provider_refund_id,
            "journal_transaction_id": row.journal_transaction_id,
            "created_at": row.created_at.isoformat(),
            "order_state": order.state.value if order else None,
            "license_state": agreement.state.value}
