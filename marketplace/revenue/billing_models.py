"""Payout and invoice tables (issue 6 §3): recorded bank transfers and metered-usage invoices.

``revenue_payouts``: one row per recorded bank transfer to a merchant, unique per
``Idempotency-Key`` (the same key and body replay the row, another body is 409); its journal
posting (kind ``payout``, reference = the payout id) and its ledger entry are written in the
same transaction. ``revenue_invoices``: one per (agreement, billing period) — the unique
constraint makes a re-run, or two concurrent runs, create nothing twice. An invoice's status
moves only through :data:`INVOICE_TRANSITIONS`. ``revenue_invoice_attempts``: one row per
``POST /revenue/invoices/{id}/pay``, unique per (invoice, ``Idempotency-Key``); its id derives
the provider's Idempotency-Keys, so a retried attempt is never executed twice.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, enum_column


class InvoiceStatus(enum.Enum):
    zero = "zero"  # nothing billable: recorded, never charged
    due = "due"  # an amount the buyer owes; a PaymentIntent is (or will be) open for it
    paid = "paid"  # the provider captured it and the sale is in the journal


#: status → the statuses it may move to.
INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.zero: frozenset(),
    InvoiceStatus.due: frozenset({InvoiceStatus.paid}),
    InvoiceStatus.paid: frozenset(),
}


class PayStatus(enum.Enum):
    pending = "pending"  # sent, or about to be sent, to the provider; no answer yet
    action_required = "action_required"  # answered: the payer must authenticate (3-D Secure)
    succeeded = "succeeded"
    failed = "failed"


class Payout(db.Model):
    __tablename__ = "revenue_payouts"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    merchant_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bank_reference: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    journal_transaction_id: Mapped[str] = mapped_column(ForeignKey("journal_transactions.id"))
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Invoice(db.Model):
    __tablename__ = "revenue_invoices"
    __table_args__ = (UniqueConstraint("agreement_id", "period"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM (UTC)
    buyer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    merchant_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(32))
    units_used: Mapped[int] = mapped_column(BigInteger)
    included_quota: Mapped[int] = mapped_column(BigInteger)
    billable_units: Mapped[int] = mapped_column(BigInteger)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus), index=True)
    intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    journal_transaction_id: Mapped[str | None] = mapped_column(
        ForeignKey("journal_transactions.id"), nullable=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InvoiceAttempt(db.Model):
    __tablename__ = "revenue_invoice_attempts"
    __table_args__ = (UniqueConstraint("invoice_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("revenue_invoices.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(255))
    status: Mapped[PayStatus] = mapped_column(enum_column(PayStatus), index=True)
    decline_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
