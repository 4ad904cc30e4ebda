"""Daily close (issue 6 §4): each closed day's journal digest is appended to the ledger, so a
later edit of any journal row of that day is detectable.

The digest is SHA-256 over the day's canonical rows: every transaction of the day (by id) as
RFC 8785 JSON, each followed by its lines (by account, then side and amount), one JSON text
per line. :func:`close_day` appends ``revenue.day.closed`` {day, digest, transactions, lines}
and remembers the entry index; :func:`check_closed_days` recomputes every closed day and
compares it with the digest read back from the *ledger entry* (the table could be edited too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ledger.canonical import dumps_canonical
from ledger.entry import EntryDraft
from marketplace.clock import utcnow
from marketplace.db import UTCDateTime, db
from marketplace.errors import Conflict, ValidationFailed
from marketplace.ledger_api import services as ledger
from marketplace.revenue.models import JournalLine, JournalTransaction

KIND = "revenue.day.closed"


class DayClose(db.Model):
    __tablename__ = "revenue_day_closes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    transactions: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def canonical_rows(day: date) -> Iterator[tuple[bool, bytes]]:
    """The day's transactions and lines (``is_line``, canonical JSON), in a fixed order."""
    txns = db.session.scalars(select(JournalTransaction).where(JournalTransaction.day == day)
                              .order_by(JournalTransaction.id)
                              .execution_options(yield_per=500, populate_existing=True))
    for txn in txns:
        yield False, dumps_canonical({
            "id": txn.id, "kind": txn.kind.value, "reference": txn.reference,
            "currency": txn.currency, "occurred_at": txn.occurred_at.isoformat(),
            "day": txn.day.isoformat(), "memo": txn.memo, "merchant_org_id": txn.merchant_org_id,
            "related_id": txn.related_id, "fee_schedule_id": txn.fee_schedule_id})
        lines = db.session.execute(select(
            JournalLine.account, JournalLine.currency, JournalLine.debit_fen,
            JournalLine.credit_fen).where(JournalLine.transaction_id == txn.id))
        for account, currency, debit, credit in sorted(lines):
            yield True, dumps_canonical({"account": account, "currency": currency,
                                   "debit_fen": int(debit), "credit_fen": int(credit)})


def digest(day: date) -> tuple[str, int, int]:
    """(sha256 hex, transactions, lines) of the day's canonical rows."""
    h = hashlib.sha256()
    txns = lines = 0
    for is_line, row in canonical_rows(day):
        h.update(row + b"\n")
        lines += is_line
        txns += not is_line
    return h.hexdigest(), txns, lines


def close_day(day: date, operator_org: str) -> DayClose:
    """Close ``day`` (a past UTC day) and commit; 409 if already closed, 422 if not over."""
    if day >= utcnow().date():
        raise ValidationFailed(errors={"day": ["Only a day that has ended can be closed."]})
    if db.session.get(DayClose, day) is not None:
        raise Conflict(f"{day.isoformat()} is already closed.")
    value, txns, lines = digest(day)
    entry = ledger.store().append(db.session.connection(), EntryDraft(
        kind=KIND, subject=f"journal:{day.isoformat()}", actor_org=operator_org,
        actor_user=None, payload={"day": day.isoformat(), "digest": value,
                                  "transactions": txns, "lines": lines},
        timestamp=utcnow()))
    row = DayClose(day=day, digest=value, transactions=txns, lines=lines,
                   ledger_index=entry.index, closed_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def _ledger_payload(index: int) -> dict[str, Any]:
    _fields, payload = ledger.entry(index)
    return json.loads(payload)


def check_closed_days() -> list[dict[str, Any]]:
    """Every closed day: the digest on the ledger, the digest now, and whether they agree."""
    results = []
    for close in db.session.scalars(select(DayClose).order_by(DayClose.day)).all():
        recorded = _ledger_payload(close.ledger_index)
        now, _txns, _lines = digest(close.day)
        results.append({"day": close.day.isoformat(), "ledger_index": close.ledger_index,
                        "ledger_digest": recorded.get("digest"), "digest": now,
                        "intact": recorded.get("digest") == now
                        and recorded.get("day") == close.day.isoformat()})
    return results
