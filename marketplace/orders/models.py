"""Orders, license agreements and their append-only history (issue 5 §5).

An :class:`Order` records who asked for which plan, with which ``Idempotency-Key``, and the
payment it owes; its :class:`Agreement` freezes the exact terms the buyer accepted (policy and
price snapshot, ``terms_hash``) and carries the license state (``contracts.AgreementState``,
moved only by :mod:`marketplace.orders.transitions`). Every move appends an
:class:`AgreementEventRow`; the history replays to the current state.

The order's payment state follows its agreement through :data:`ORDER_TRANSITIONS`, the one
table keyed by (order state, agreement state reached).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts import AgreementEvent, AgreementState
from marketplace.db import UTCDateTime, db, enum_column


class OrderState(enum.Enum):
    free = "free"  # nothing was due
    awaiting_payment = "awaiting_payment"
    paid = "paid"
    unpaid = "unpaid"  # the agreement ended before it was paid


_O, _A = OrderState, AgreementState
#: (order state, agreement state reached) → order state; other pairs leave the order as it is.
ORDER_TRANSITIONS: dict[tuple[OrderState, AgreementState], OrderState] = {
    (_O.awaiting_payment, _A.ACTIVE): _O.paid,
    (_O.awaiting_payment, _A.EXPIRED): _O.unpaid,
    (_O.awaiting_payment, _A.TERMINATED): _O.unpaid,
    (_O.awaiting_payment, _A.REVOKED): _O.unpaid,
}


def _values_enum(cls: type[enum.Enum]) -> Enum:
    """A VARCHAR(32) enum column storing the members' values (``"active"``, not ``"ACTIVE"``)."""
    return Enum(cls, name=cls.__name__.lower(), native_enum=False, length=32,
                validate_strings=True, values_callable=lambda e: [m.value for m in e])


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("buyer_org_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    buyer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))  # see unique
    buyer_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("listing_plans.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[OrderState] = mapped_column(enum_column(OrderState))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    payment_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    payment_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What the gateway told the buyer to do (the order's ``next_action`` while unpaid).
    payment_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The body of the first answer, replayed verbatim for the same key and body.
    response: Mapped[dict[str, Any]] = mapped_column(JSON)


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("listing_plans.id"))
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"))
    buyer_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    merchant_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_digest: Mapped[str] = mapped_column(String(64))
    price: Mapped[dict[str, Any]] = mapped_column(JSON)
    terms_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[AgreementState] = mapped_column(_values_enum(AgreementState), index=True)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    count_used: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The ``agreement.created`` entry (the terms hash on the ledger).
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class AgreementEventRow(db.Model):
    """One step of an agreement's history; ``event`` is null for its creation."""

    __tablename__ = "agreement_events"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[AgreementEvent | None] = mapped_column(_values_enum(AgreementEvent),
                                                         nullable=True)
    from_state: Mapped[AgreementState | None] = mapped_column(
        _values_enum(AgreementState), nullable=True)
    to_state: Mapped[AgreementState] = mapped_column(_values_enum(AgreementState))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    actor_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)
