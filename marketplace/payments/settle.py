"""Applying what the provider reports, idempotently (issue 6 §2, §3, §5). The pay route, the
webhook and ``payments sync`` all call these, so duplicates and reorderings are harmless:

* :func:`succeeded` — the sale is posted (split by the fee schedule in force when the order was
  placed) and the agreement activated, with its ledger entry, in ONE transaction; a second
  report finds the sale posted and changes nothing;
* :func:`failed` — the attempt fails; a pending agreement records ``payment_failed`` and stays
  pending (the buyer may pay again); a failure after a success changes nothing;
* :func:`refunded` — ``post_refund`` pro rata (the journal reference is the provider's refund
  id, so our route and a webhook cannot both post it); a full refund terminates the agreement.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contracts import AgreementEvent, AgreementState, IllegalTransition, next_state
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound
from marketplace.orders import services as orders
from marketplace.orders.models import Agreement, Order
from marketplace.orders.transitions import apply, platform_actor, record
from marketplace.payments.models import ATTEMPT_TRANSITIONS, AttemptStatus, PaymentAttempt
from marketplace.revenue import balances
from marketplace.revenue.errors import AlreadyPosted
from marketplace.revenue.journal import post_refund, post_sale
from marketplace.revenue.models import FeeSchedule, JournalTransaction, TransactionKind
from marketplace.revenue.schedules import add_schedule, schedule_in_force

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fee_schedule(currency: str, at: datetime) -> FeeSchedule:
    """The schedule in force at ``at``; with none, the configured default (``REVENUE_DEFAULT_
    FEES``) is installed effective from the Unix epoch, once, in the caller's transaction."""
    from flask import current_app

    try:
        return schedule_in_force(currency, at)
    except NotFound:
        platform, public, minimum = (int(x) for x in
                                     current_app.config["REVENUE_DEFAULT_FEES"].split(","))
        try:
            with db.session.begin_nested():
                return add_schedule(currency=currency, effective_from=EPOCH,
                                    platform_bps=platform, public_service_bps=public,
                                    minimum_fee_fen=minimum)
        except (IntegrityError, Conflict):
            return schedule_in_force(currency, at)


def _load(order_id: str) -> tuple[Order, Agreement]:
    order = db.session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise NotFound("No such order.")
    agreement = db.session.execute(select(Agreement).where(Agreement.order_id == order_id)
                                   .execution_options(populate_existing=True)).scalar_one()
    return order, agreement


def attempt_of(intent_id: str) -> str | None:
    return db.session.scalar(select(PaymentAttempt.id).where(
        PaymentAttempt.intent_id == intent_id))


def move_attempt(attempt_id: str | None, to: AttemptStatus, **values: object) -> bool:
    """Compare-and-set an attempt along :data:`ATTEMPT_TRANSITIONS` (no commit); False when
    there is no such attempt or it had already left the states that lead to ``to``."""
    if attempt_id is None:
        return False
    sources = [s for s, targets in ATTEMPT_TRANSITIONS.items() if to in targets]
    result = db.session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id, PaymentAttempt.status.in_(sources))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def sale_posted(order_id: str) -> bool:
    return db.session.scalar(select(JournalTransaction.id).where(
        JournalTransaction.kind == TransactionKind.sale,
        JournalTransaction.reference == order_id)) is not None


def succeeded(order_id: str, provider_ref: str, attempt_id: str | None = None) -> Agreement:
    """The provider captured the order's payment (idempotent; commits)."""
    order, agreement = _load(order_id)
    move_attempt(attempt_id or attempt_of(provider_ref), AttemptStatus.succeeded)
    if order.amount_fen and not sale_posted(order.id):
        try:
            post_sale(reference=order.id, merchant_org_id=agreement.merchant_org_id,
                      gross_fen=order.amount_fen, currency=order.currency,
                      schedule=fee_schedule(order.currency, order.created_at),
                      occurred_at=utcnow(), memo=f"payment {provider_ref}")
        except AlreadyPosted:  # a concurrent report won; it activates the agreement
            db.session.rollback()
            return _load(order_id)[1]
    if agreement.state is not AgreementState.PENDING_PAYMENT:
        db.session.commit()  # captured after the license ended: reconciliation reports it
        return agreement
    order.payment_ref = provider_ref
    db.session.flush()
    try:
        return orders.payment_succeeded(order.id, provider_ref)
    except Conflict:
        db.session.rollback()
        current = _load(order_id)[1]
        if current.state is AgreementState.PENDING_PAYMENT:
            raise
        return current


def failed(order_id: str, intent_id: str, reason: str,
           attempt_id: str | None = None) -> Agreement:
    """The provider declined the attempt (idempotent; commits)."""
    order, agreement = _load(order_id)
    attempt_id = attempt_id or attempt_of(intent_id)
    moved = move_attempt(attempt_id, AttemptStatus.failed, decline_code=reason[:64])
    if agreement.state is not AgreementState.PENDING_PAYMENT or (attempt_id and not moved):
        db.session.commit()  # after a success, or reported before: nothing moves
        return agreement
    return orders.payment_failed(order.id, reason)


def refunded(order_id: str, provider_refund_id: str, amount_fen: int) -> JournalTransaction:
    """Post a refund the provider made (no commit: the caller adds its own rows, then
    commits); a refund completing the sale terminates the agreement."""
    order, agreement = _load(order_id)
    try:
        txn = post_refund(reference=provider_refund_id[:64], sale_reference=order.id,
                          amount_fen=amount_fen, occurred_at=utcnow(),
                          memo=f"refund {provider_refund_id}")
    except AlreadyPosted as exc:
        existing = db.session.get(JournalTransaction, exc.transaction_id)
        assert existing is not None
        return existing
    sale = db.session.scalars(select(JournalTransaction).where(
        JournalTransaction.kind == TransactionKind.sale,
        JournalTransaction.reference == order.id)).one()
    whole = balances.sale_split(sale).gross_fen
    actor = platform_actor(agreement.merchant_org_id)
    if balances.refunded(sale) >= whole and _allows(agreement.state, AgreementEvent.REFUND):
        apply(agreement, AgreementEvent.REFUND, actor,
              reason=f"payment fully refunded ({provider_refund_id})")
    else:
        record("payment.refunded", agreement, actor, {
            "refund": provider_refund_id, "amount_fen": amount_fen,
            "refunded_fen": balances.refunded(sale), "gross_fen": whole})
    return txn


def _allows(state: AgreementState, event: AgreementEvent) -> bool:
    try:
        next_state(state, event)
    except IllegalTransition:
        return False
    return True
