"""Valuations, agency affiliations and settled market deals (issue 5 §1).

A :class:`Valuation` is immutable (no update path): each one is a new per-element ``version``
whose ``record`` (inputs + results, canonical JSON) is hashed into ``record_sha256`` and
appended to the ledger as ``valuation.recorded``. :class:`Affiliation` rows are declarations a
valuation agency makes about organisations it is tied to (conflict of interest); they are
append-only too. :class:`MarketDeal` rows are this exchange's own settled deals, the only source
of market-approach comparables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db


class Valuation(db.Model):
    __tablename__ = "valuations"
    __table_args__ = (UniqueConstraint("element_id", "version"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"),
                                                    index=True)
    version: Mapped[int] = mapped_column(Integer)
    agency_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    assessor_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    valuation_date: Mapped[date] = mapped_column(Date)
    methods: Mapped[list[str]] = mapped_column(JSON)
    value_fen: Mapped[int] = mapped_column(BigInteger)
    low_fen: Mapped[int] = mapped_column(BigInteger)
    high_fen: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    record_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class Affiliation(db.Model):
    __tablename__ = "valuation_affiliations"
    __table_args__ = (UniqueConstraint("agency_org_id", "affiliated_org_id"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    agency_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    affiliated_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    relation: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class MarketDeal(db.Model):
    """One settled deal; ``quality_centi`` is the element's quality score × 100 (0–10000)."""

    __tablename__ = "market_deals"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    source_ref: Mapped[str] = mapped_column(String(64), unique=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"))
    domain: Mapped[str] = mapped_column(String(64), index=True)
    plan_kind: Mapped[str] = mapped_column(String(32))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quality_centi: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows: Mapped[int] = mapped_column(BigInteger)
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
