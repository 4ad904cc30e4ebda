"""Posting to the revenue journal (issue 6 §3): sales, refunds, payouts.

Each function validates, builds its lines with the pure rules of :mod:`.postings`, checks
Σ debits = Σ credits, and inserts one transaction with its lines inside the *caller's*
database transaction (no commit; a savepoint around the insert). A failure raises before
anything is written. Rules enforced here:

* ``(kind, reference)`` is posted at most once (:class:`AlreadyPosted`, also under races:
  the unique constraint is the backstop);
* cumulative refunds of a sale never exceed its captured gross (:class:`RefundExceedsCaptured`);
* a payout never takes a merchant's payable below zero (:class:`PayoutExceedsPayable`); nor
  does a refund (the already-paid-out part goes to ``refunds``, see :mod:`.postings`).

Concurrent postings that read a balance serialise on the merchant's account: a PostgreSQL
transaction-scoped advisory lock (SQLite's ``BEGIN IMMEDIATE`` already serialises writers).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organization
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.revenue import balances, checks
from marketplace.revenue.errors import AlreadyPosted, PayoutExceedsPayable, RefundExceedsCaptured
from marketplace.revenue.fees import Terms, reversal, split
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import (
    Line,
    check_balanced,
    merchant_payable,
    payout_lines,
    refund_lines,
    sale_lines,
)


def _merchant(org_id: str) -> str:
    account = checks.merchant_account(org_id)
    if db.session.get(Organization, org_id) is None:
        raise ValidationFailed(errors={"merchant_org_id": ["No such organisation."]})
    return account


def _posted(kind: TransactionKind, reference: str) -> str | None:
    return db.session.scalar(select(JournalTransaction.id).where(
        JournalTransaction.kind == kind, JournalTransaction.reference == reference))


def _refuse_duplicate(kind: TransactionKind, reference: str) -> None:
    existing = _posted(kind, reference)
    if existing is not None:
        raise AlreadyPosted(kind, reference, existing)


def _lock(account: str) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        digest = hashlib.sha256(b"elx.journal:" + account.encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _insert(txn: JournalTransaction, lines: list[Line]) -> JournalTransaction:
    check_balanced(lines)
    try:
        with db.session.begin_nested():
            db.session.add(txn)
            db.session.flush()
            db.session.add_all(
                JournalLine(transaction_id=txn.id, account=line.account, currency=txn.currency,
                            debit_fen=line.debit_fen, credit_fen=line.credit_fen)
                for line in lines)
    except IntegrityError as exc:  # a concurrent posting of the same reference won the race
        existing = _posted(txn.kind, txn.reference)
        if existing is None:
            raise
        raise AlreadyPosted(txn.kind, txn.reference, existing) from exc
    return txn


def _transaction(kind: TransactionKind, reference: str, org_id: str, currency: str,
                 occurred_at: datetime, memo: str, **extra: str | None) -> JournalTransaction:
    return JournalTransaction(
        id=new_id("jtx"), kind=kind, reference=reference, merchant_org_id=org_id,
        currency=currency, occurred_at=occurred_at, day=occurred_at.astimezone(UTC).date(),
        memo=memo, posted_at=utcnow(), **extra)


def post_sale(*, reference: str, merchant_org_id: str, gross_fen: int, currency: str,
              schedule: Terms, occurred_at: datetime, memo: str = "") -> JournalTransaction:
    """A paid order: clearing ← gross; the merchant, platform and public-service shares of
    ``split(gross, schedule)`` are credited. ``reference`` is the order id."""
    checks.reference(reference)
    checks.amount(gross_fen, "gross_fen")
    checks.currency(currency)
    checks.instant(occurred_at, "occurred_at")
    _merchant(merchant_org_id)
    if getattr(schedule, "currency", currency) != currency:
        raise ValidationFailed(errors={"schedule": ["A schedule of another currency."]})
    _refuse_duplicate(TransactionKind.sale, reference)
    lines = sale_lines(merchant_org_id, split(gross_fen, schedule))
    txn = _transaction(TransactionKind.sale, reference, merchant_org_id, currency, occurred_at,
                       memo, fee_schedule_id=getattr(schedule, "id", None))
    return _insert(txn, lines)


def post_refund(*, reference: str, sale_reference: str, amount_fen: int,
                occurred_at: datetime, memo: str = "") -> JournalTransaction:
    """Refund ``amount_fen`` of the sale posted for ``sale_reference``, reversing its split
    pro rata (:func:`~.fees.reversal`). ``reference`` is the refund's id."""
    checks.reference(reference)
    checks.reference(sale_reference, "sale_reference")
    checks.amount(amount_fen, "amount_fen")
    checks.instant(occurred_at, "occurred_at")
    _refuse_duplicate(TransactionKind.refund, reference)
    sale = db.session.scalars(select(JournalTransaction).where(
        JournalTransaction.kind == TransactionKind.sale,
        JournalTransaction.reference == sale_reference).with_for_update()).first()
    if sale is None:
        raise NotFound(f"No sale {sale_reference!r} in the journal.")
    _lock(merchant_payable(sale.merchant_org_id))
    original, before = balances.sale_split(sale), balances.refunded(sale)
    if amount_fen > original.gross_fen - before:
        raise RefundExceedsCaptured(
            f"Refunds would exceed the captured {original.gross_fen} "
            f"({before} already refunded).", refundable_fen=original.gross_fen - before)
    lines = refund_lines(sale.merchant_org_id, reversal(original, before, before + amount_fen),
                         balances.payable(sale.merchant_org_id, sale.currency))
    txn = _transaction(TransactionKind.refund, reference, sale.merchant_org_id, sale.currency,
                       occurred_at, memo, related_id=sale.id)
    return _insert(txn, lines)


def post_payout(*, reference: str, merchant_org_id: str, amount_fen: int, currency: str,
                occurred_at: datetime, memo: str = "") -> JournalTransaction:
    """Settle ``amount_fen`` of a merchant's payable (never more than it holds)."""
    checks.reference(reference)
    checks.amount(amount_fen, "amount_fen")
    checks.currency(currency)
    checks.instant(occurred_at, "occurred_at")
    account = _merchant(merchant_org_id)
    _refuse_duplicate(TransactionKind.payout, reference)
    _lock(account)
    available = balances.payable(merchant_org_id, currency)
    if amount_fen > available:
        raise PayoutExceedsPayable(f"The payable is {available}; cannot pay {amount_fen}.",
                                   payable_fen=available)
    txn = _transaction(TransactionKind.payout, reference, merchant_org_id, currency,
                       occurred_at, memo)
    return _insert(txn, payout_lines(merchant_org_id, amount_fen))


__all__ = ["AlreadyPosted", "PayoutExceedsPayable", "RefundExceedsCaptured", "post_payout",
           "post_refund", "post_sale"]
