"""Journal and fee-schedule tables (issue 6 §3). All three are append-only.

``journal_transactions``: one row per posting; ``(kind, reference)`` is unique — a sale per
order, a refund per refund id, a payout per payout id — so nothing can be posted twice.
``journal_lines``: its lines, integer minor units, exactly one side non-zero (a CHECK).
``fee_schedules``: versions per currency; the one in force at *t* has the latest
``effective_from`` ≤ *t*. Corrections are new rows, never edits: a flush that would update or
delete any of these rows raises :class:`ImmutableRow`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.db import UTCDateTime, db, enum_column


class TransactionKind(enum.Enum):
    sale = "sale"
    refund = "refund"
    payout = "payout"


class FeeSchedule(db.Model):
    __tablename__ = "fee_schedules"
    __table_args__ = (
        UniqueConstraint("currency", "effective_from"),
        CheckConstraint("platform_bps >= 0 AND public_service_bps >= 0 AND "
                        "platform_bps + public_service_bps <= 10000", name="bps"),
        CheckConstraint("minimum_fee_fen >= 0", name="minimum"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    platform_bps: Mapped[int] = mapped_column(Integer)
    public_service_bps: Mapped[int] = mapped_column(Integer)
    minimum_fee_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JournalTransaction(db.Model):
    __tablename__ = "journal_transactions"
    __table_args__ = (UniqueConstraint("kind", "reference"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind))
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date, index=True)
    memo: Mapped[str] = mapped_column(Text)
    merchant_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    # a refund's sale; the fee schedule a sale was split by
    related_id: Mapped[str | None] = mapped_column(ForeignKey("journal_transactions.id"),
                                                   nullable=True, index=True)
    fee_schedule_id: Mapped[str | None] = mapped_column(ForeignKey("fee_schedules.id"),
                                                        nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JournalLine(db.Model):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("(debit_fen > 0 AND credit_fen = 0) OR "
                        "(debit_fen = 0 AND credit_fen > 0)", name="one_side"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("journal_transactions.id"),
                                                index=True)
    account: Mapped[str] = mapped_column(String(80), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    debit_fen: Mapped[int] = mapped_column(BigInteger)
    credit_fen: Mapped[int] = mapped_column(BigInteger)


APPEND_ONLY = (FeeSchedule, JournalTransaction, JournalLine)


class ImmutableRow(RuntimeError):
    """An attempt to update or delete a journal or fee-schedule row."""


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, APPEND_ONLY):
            raise ImmutableRow(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, APPEND_ONLY) and session.is_modified(obj):
            raise ImmutableRow(f"{type(obj).__name__} rows are never edited")
