"""Listings, their price plans and the review workflow (issue 5 §2).

The workflow is one transition table, :data:`TRANSITIONS`: ``(state, action) → state``. The
target state's name is also the ledger entry kind (``listing.<state>``). Approval and going
live are different moments: the operator approves, the merchant then publishes (``listed``).
``rejected`` and ``delisted`` are final; a merchant lists again with a new listing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, enum_column


class ListingState(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    listed = "listed"
    delisted = "delisted"


class Action(enum.Enum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    publish = "publish"
    delist = "delist"


S, A = ListingState, Action
#: The only legal moves. Anything else is 409.
TRANSITIONS: dict[tuple[ListingState, Action], ListingState] = {
    (S.draft, A.submit): S.submitted,
    (S.submitted, A.approve): S.approved,
    (S.submitted, A.reject): S.rejected,
    (S.approved, A.publish): S.listed,
    (S.listed, A.delist): S.delisted,
}


class PlanKind(enum.Enum):
    free = "free"
    one_off = "one_off"  # perpetual licence for the listed version
    subscription = "subscription"
    metered = "metered"


class Period(enum.Enum):
    monthly = "monthly"
    annual = "annual"


class MeterUnit(enum.Enum):
    api_call = "api_call"  # needs the records_api delivery mode
    sandbox_query = "sandbox_query"  # needs the sandbox delivery mode


class ValuationFlag(enum.Enum):
    """Set at submit time for the reviewer: plan prices against the latest valuation range."""

    within = "within"
    outside = "outside"
    unvalued = "unvalued"


class Listing(db.Model):
    __tablename__ = "listings"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"))
    version: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    state: Mapped[ListingState] = mapped_column(enum_column(ListingState), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(32))
    delivery_modes: Mapped[list[str]] = mapped_column(JSON)
    license_template: Mapped[str] = mapped_column(String(64))
    license_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    price_from_fen: Mapped[int] = mapped_column(BigInteger)
    valuation_flag: Mapped[ValuationFlag | None] = mapped_column(
        enum_column(ValuationFlag), nullable=True)
    valuation_low_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    valuation_high_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    plans_outside: Mapped[list[int]] = mapped_column(JSON)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    delist_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    plans: Mapped[list[ListingPlan]] = relationship(
        order_by="ListingPlan.position", lazy="selectin")


class ListingPlan(db.Model):
    """One price plan; money is integer fen (minor units) plus the currency."""

    __tablename__ = "listing_plans"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind))
    currency: Mapped[str] = mapped_column(String(3))
    price_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    period: Mapped[Period | None] = mapped_column(enum_column(Period), nullable=True)
    auto_renew: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    unit: Mapped[MeterUnit | None] = mapped_column(enum_column(MeterUnit), nullable=True)
    unit_price_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    included_quota: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    @property
    def headline_fen(self) -> int:
        """The plan's price for sorting and price bands: metered plans count their unit price."""
        if self.kind is PlanKind.metered:
            return self.unit_price_fen or 0
        return self.price_fen or 0


class ListingStats(db.Model):
    """Popularity from real events only: written by :mod:`marketplace.listings.stats` (called
    by orders and data access), created with zeros when the listing is created."""

    __tablename__ = "listing_stats"
    __table_args__ = (Index("ix_listing_stats_popularity", "orders", "usage"),)

    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    usage: Mapped[int] = mapped_column(BigInteger, default=0)
