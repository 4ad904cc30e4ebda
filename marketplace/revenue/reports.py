"""Reading the books for auditors (issue 6 §4): trial balance, the journal (a page of
transactions, or every line streamed as CSV / JSON Lines), per-merchant statements.

Streams use ``yield_per`` so memory stays flat however long the journal is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select

from marketplace.db import db
from marketplace.http import decode_cursor, encode_cursor
from marketplace.revenue import journal_query
from marketplace.revenue.journal_query import COLUMNS, JournalFilter
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import merchant_payable


def trial_balance() -> dict[str, Any]:
    """Σ debits and Σ credits per currency and per account."""
    debit, credit = func.coalesce(func.sum(JournalLine.debit_fen), 0), \
        func.coalesce(func.sum(JournalLine.credit_fen), 0)
    currencies = [{"currency": cur, "debits_fen": int(d), "credits_fen": int(c),
                   "balanced": int(d) == int(c)} for cur, d, c in db.session.execute(
        select(JournalLine.currency, debit, credit).group_by(JournalLine.currency)
        .order_by(JournalLine.currency))]
    accounts = [{"account": acc, "currency": cur, "debits_fen": int(d), "credits_fen": int(c),
                 "balance_fen": int(d) - int(c)} for acc, cur, d, c in db.session.execute(
        select(JournalLine.account, JournalLine.currency, debit, credit)
        .group_by(JournalLine.account, JournalLine.currency)
        .order_by(JournalLine.account, JournalLine.currency))]
    return {"balanced": all(c["balanced"] for c in currencies), "currencies": currencies,
            "accounts": accounts}


def _in_range(query: Select[Any], start: date | None, end: date | None) -> Select[Any]:
    if start is not None:
        query = query.where(JournalTransaction.day >= start)
    if end is not None:
        query = query.where(JournalTransaction.day <= end)
    return query


def journal_page(start: date | None, end: date | None, cursor: str | None,
                 limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Transactions (id order) with their lines."""
    query = _in_range(select(JournalTransaction), start, end)
    after = decode_cursor(cursor)
    if after:
        query = query.where(JournalTransaction.id > after)
    txns = list(db.session.scalars(query.order_by(JournalTransaction.id).limit(limit + 1)))
    more, txns = len(txns) > limit, txns[:limit]
    lines: dict[str, list[dict[str, Any]]] = {t.id: [] for t in txns}
    for line in db.session.scalars(select(JournalLine).where(
            JournalLine.transaction_id.in_(list(lines))).order_by(JournalLine.id)):
        lines[line.transaction_id].append({
            "account": line.account, "debit_fen": line.debit_fen,
            "credit_fen": line.credit_fen})
    items = [{"id": t.id, "kind": t.kind.value, "reference": t.reference,
              "currency": t.currency, "day": t.day.isoformat(),
              "occurred_at": t.occurred_at.isoformat(), "memo": t.memo,
              "merchant_org_id": t.merchant_org_id, "related_id": t.related_id,
              "fee_schedule_id": t.fee_schedule_id, "lines": lines[t.id]} for t in txns]
    return items, encode_cursor(txns[-1].id) if more and txns else None


def journal_lines(start: date | None, end: date | None,
                  **filters: Any) -> Iterator[dict[str, Any]]:
    """Every line in the range (narrowed by ``filters``, see :class:`.JournalFilter`), joined
    with its transaction and merchant name, streamed."""
    return journal_query.rows(JournalFilter(start, end, **filters))


def journal_csv(start: date | None, end: date | None, **filters: Any) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in journal_lines(start, end, **filters):
        writer.writerow(row)
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def journal_jsonl(start: date | None, end: date | None, **filters: Any) -> Iterator[str]:
    for row in journal_lines(start, end, **filters):
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def statement(org_id: str, currency: str, start: date, end: date) -> dict[str, Any]:
    """A merchant's payable over [start, end]: opening, sales, refunds, payouts, closing."""
    account = merchant_payable(org_id)
    net = func.coalesce(func.sum(JournalLine.credit_fen - JournalLine.debit_fen), 0)
    base = select(net).join(JournalTransaction,
                            JournalTransaction.id == JournalLine.transaction_id).where(
        JournalLine.account == account, JournalLine.currency == currency)
    opening = int(db.session.scalar(base.where(JournalTransaction.day < start)) or 0)
    by_kind = dict.fromkeys(TransactionKind, 0)
    counts = dict.fromkeys(TransactionKind, 0)
    rows = db.session.execute(base.add_columns(JournalTransaction.kind,
                                               func.count(JournalLine.id))
                              .where(JournalTransaction.day >= start, JournalTransaction.day <= end)
                              .group_by(JournalTransaction.kind))
    for amount, kind, count in rows:
        by_kind[kind], counts[kind] = int(amount), int(count)
    gross = db.session.scalar(select(func.coalesce(func.sum(case(
        (JournalLine.account == "provider_clearing", JournalLine.debit_fen), else_=0)), 0))
        .join(JournalTransaction, JournalTransaction.id == JournalLine.transaction_id).where(
        JournalTransaction.merchant_org_id == org_id, JournalTransaction.currency == currency,
        JournalTransaction.kind == TransactionKind.sale, JournalTransaction.day >= start,
        JournalTransaction.day <= end))
    closing = opening + sum(by_kind.values())
    return {"merchant_org_id": org_id, "currency": currency, "from": start.isoformat(),
            "to": end.isoformat(), "opening_payable_fen": opening,
            "sales_gross_fen": int(gross or 0), "sales": counts[TransactionKind.sale],
            "merchant_share_fen": by_kind[TransactionKind.sale],
            "refunds_fen": -by_kind[TransactionKind.refund],
            "payouts_fen": -by_kind[TransactionKind.payout],
            "closing_payable_fen": closing}
