"""Data assets (数据资产) and their immutable, content-addressed versions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, enum_column


class Classification(enum.Enum):
    """Data classification levels of GB/T 43697-2024: 一般 / 重要 / 核心."""

    general = "general"  # 一般数据
    important = "important"  # 重要数据
    core = "core"  # 核心数据


class UpdateFrequency(enum.Enum):
    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    once = "once"



class Asset(db.Model):
    __tablename__ = "assets"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    collection_method: Mapped[str] = mapped_column(String(500))
    update_frequency: Mapped[UpdateFrequency] = mapped_column(enum_column(UpdateFrequency))
    time_coverage_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    time_coverage_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    area_coverage: Mapped[str] = mapped_column(String(200))
    contains_personal_info: Mapped[bool] = mapped_column(Boolean)
    classification: Mapped[Classification] = mapped_column(enum_column(Classification))
    tags: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)


class AssetVersion(db.Model):
    """One uploaded file, immutable once registered (no update path exists)."""

    __tablename__ = "asset_versions"
    __table_args__ = (UniqueConstraint("asset_id", "version"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(16), nullable=True)
    encoding_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    normalized_sha256: Mapped[str] = mapped_column(String(64))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(BigInteger)
    schema_digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)
