"""Three-way reconciliation (issue 6 §4): provider charges/refunds ↔ journal ↔ agreements.

Provider charges are streamed page by page and checked in batches against the journal (sale
gross, refunded total) and the agreement; the order ids seen go into a TEMPORARY table, so the
journal side ("a sale the provider never captured") is a SQL anti-join and memory stays flat
as volume grows. A sale's reference is its order id, or the invoice id of a metered-usage
invoice. Exceptions: ``missing_in_journal``, ``missing_at_provider``,
``unknown_charge``, ``duplicated``, ``amount_mismatch``, ``refund_mismatch``,
``agreement_mismatch``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from contracts import AgreementState
from marketplace.db import db
from marketplace.orders.models import Agreement
from marketplace.payments.models import PaymentAttempt
from marketplace.revenue.billing_models import Invoice
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import PROVIDER_CLEARING

BATCH = 500
_SEEN = Table("elx_recon_seen", MetaData(), Column("order_id", String(64), primary_key=True),
              prefixes=["TEMPORARY"])
UNPAID = (AgreementState.PENDING_PAYMENT,)


def _clearing(txn_ids: list[str]) -> dict[str, tuple[int, int]]:
    """transaction id → (clearing debits, clearing credits), looked up by transaction id (the
    account is filtered here, so no planner scans every clearing line for each batch)."""
    out: dict[str, tuple[int, int]] = {}
    for txn_id, account, debit, credit in db.session.execute(select(
            JournalLine.transaction_id, JournalLine.account, JournalLine.debit_fen,
            JournalLine.credit_fen).where(JournalLine.transaction_id.in_(txn_ids))):
        if account == PROVIDER_CLEARING:
            d, c = out.get(txn_id, (0, 0))
            out[txn_id] = (d + int(debit), c + int(credit))
    return out


def _journal(order_ids: list[str]) -> dict[str, tuple[int, int]]:
    """order id → (sale gross, refunded) from the journal's clearing lines."""
    sales = dict(db.session.execute(select(JournalTransaction.id, JournalTransaction.reference)
                                    .where(JournalTransaction.kind == TransactionKind.sale,
                                           JournalTransaction.reference.in_(order_ids))).all())
    refunds = dict(db.session.execute(select(JournalTransaction.id, JournalTransaction.related_id)
                                      .where(JournalTransaction.related_id.in_(list(sales)),
                                             JournalTransaction.kind == TransactionKind.refund))
                   .all())
    clearing = _clearing([*sales, *refunds])
    books = {ref: [clearing.get(txn, (0, 0))[0], 0] for txn, ref in sales.items()}
    for txn, sale_id in refunds.items():
        books[sales[sale_id]][1] += clearing.get(txn, (0, 0))[1]
    return {ref: (gross, refunded) for ref, (gross, refunded) in books.items()}


def _check_batch(charges: list[Any]) -> Iterator[dict[str, Any]]:
    intents = [c.intent_id for c in charges if c.intent_id]
    orders = dict(db.session.execute(select(PaymentAttempt.intent_id, PaymentAttempt.order_id)
                                     .where(PaymentAttempt.intent_id.in_(intents))).all())
    orders.update(db.session.execute(select(Invoice.intent_id, Invoice.id)  # invoice sales
                                     .where(Invoice.intent_id.in_(intents))).all())
    ids = sorted(set(orders.values()))
    books = _journal(ids)
    states = dict(db.session.execute(select(Agreement.order_id, Agreement.state)
                                     .where(Agreement.order_id.in_(ids))).all())
    seen = set(db.session.scalars(select(_SEEN.c.order_id).where(_SEEN.c.order_id.in_(ids))))
    fresh: set[str] = set()
    for c in charges:
        order_id = orders.get(c.intent_id)
        if not c.succeeded:
            continue
        if order_id is None:
            yield {"kind": "unknown_charge", "charge_id": c.charge_id,
                   "provider_fen": c.amount_fen}
            continue
        if order_id in seen or order_id in fresh:
            yield {"kind": "duplicated", "order_id": order_id, "charge_id": c.charge_id}
            continue
        fresh.add(order_id)
        if order_id not in books:
            yield {"kind": "missing_in_journal", "order_id": order_id,
                   "charge_id": c.charge_id, "provider_fen": c.amount_fen}
            continue
        gross, refunded = books[order_id]
        if gross != c.amount_fen:
            yield {"kind": "amount_mismatch", "order_id": order_id, "charge_id": c.charge_id,
                   "provider_fen": c.amount_fen, "journal_fen": gross}
        if refunded != c.refunded_fen:
            yield {"kind": "refund_mismatch", "order_id": order_id, "charge_id": c.charge_id,
                   "provider_fen": c.refunded_fen, "journal_fen": refunded}
        if states.get(order_id) in UNPAID:
            yield {"kind": "agreement_mismatch", "order_id": order_id,
                   "detail": "captured, but the license was never activated"}
    if fresh:
        db.session.execute(insert(_SEEN), [{"order_id": o} for o in sorted(fresh)])


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def exceptions(charges: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Every exception, streaming; the caller rolls back afterwards (the temp table goes)."""
    connection = db.session.connection()
    _SEEN.create(connection, checkfirst=True)
    db.session.execute(_SEEN.delete())
    for batch in _batches(charges):
        yield from _check_batch(batch)
    missing = db.session.execute(
        select(JournalTransaction.reference, JournalTransaction.id)
        .outerjoin(_SEEN, _SEEN.c.order_id == JournalTransaction.reference)
        .where(JournalTransaction.kind == TransactionKind.sale, _SEEN.c.order_id.is_(None))
        .order_by(JournalTransaction.id).execution_options(yield_per=1000))
    for reference, txn_id in missing:
        yield {"kind": "missing_at_provider", "order_id": reference, "transaction_id": txn_id}


def report(charges: Iterable[Any], limit: int = 1000) -> dict[str, Any]:
    """The report: counts per kind and the first ``limit`` exceptions."""
    counted = {"charges": 0}

    def counting() -> Iterator[Any]:
        for charge in charges:
            counted["charges"] += 1
            yield charge

    listed: list[dict[str, Any]] = []
    kinds: dict[str, int] = {}
    try:
        for item in exceptions(counting()):
            kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
            if len(listed) < limit:
                listed.append(item)
        sales = db.session.scalar(select(func.count()).select_from(JournalTransaction).where(
            JournalTransaction.kind == TransactionKind.sale))
    finally:
        db.session.rollback()
    return {"provider_charges": counted["charges"], "journal_sales": int(sales or 0),
            "exceptions_total": sum(kinds.values()), "exceptions_by_kind": kinds,
            "exceptions": listed}
