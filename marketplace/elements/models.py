"""Data elements and their immutable versions (issue 4 §7).

An :class:`ElementVersion`'s id is the runner's ``element_version_id`` — derived from the input
blobs, the spec hash, the engine version (and the secret's id when the spec uses it) — so the
same build is the same version. No update path exists; a new spec or input makes a new version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db


class Element(db.Model):
    __tablename__ = "elements"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)


class ElementVersion(db.Model):
    __tablename__ = "element_versions"
    __table_args__ = (UniqueConstraint("element_id", "version"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    output_sha256: Mapped[str] = mapped_column(String(64), index=True)
    output_size: Mapped[int] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    pii: Mapped[dict[str, Any]] = mapped_column(JSON)
    k_anonymity: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sample: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    engine_version: Mapped[str] = mapped_column(String(200))
    delivery_modes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)
