"""Payment attempts, provider events and refunds (issue 6 §1, §2).

``payment_attempts``: one row per ``POST /orders/{id}/pay`` — our transaction id (the row id)
derives the provider's Idempotency-Key, so an attempt whose answer was lost is replayed, never
charged twice. ``payment_events``: every webhook event, stored once (unique provider event id).
``payment_refunds``: refunds, unique per (order, Idempotency-Key) and per provider refund id.
The attempt status is moved only through :data:`ATTEMPT_TRANSITIONS`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, enum_column


class AttemptStatus(enum.Enum):
    pending = "pending"  # sent, or about to be sent, to the provider; outcome unknown
    succeeded = "succeeded"
    failed = "failed"


#: status → the statuses it may move to (final states move nowhere).
ATTEMPT_TRANSITIONS: dict[AttemptStatus, frozenset[AttemptStatus]] = {
    AttemptStatus.pending: frozenset({AttemptStatus.succeeded, AttemptStatus.failed}),
    AttemptStatus.succeeded: frozenset(),
    AttemptStatus.failed: frozenset(),
}


class RefundStatus(enum.Enum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class PaymentAttempt(db.Model):
    __tablename__ = "payment_attempts"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    payment_method: Mapped[str] = mapped_column(String(255))
    intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    status: Mapped[AttemptStatus] = mapped_column(enum_column(AttemptStatus), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    decline_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentEvent(db.Model):
    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    provider_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    outcome: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refund(db.Model):
    __tablename__ = "payment_refunds"
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), nullable=True,
                                                           unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RefundStatus] = mapped_column(enum_column(RefundStatus))
    journal_transaction_id: Mapped[str | None] = mapped_column(
        ForeignKey("journal_transactions.id"), nullable=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
