"""Tables of the access package (issue 7 §1, §2, §4, §6).

* :class:`QueryPolicyRow` — the merchant's query policy of one element version (the
  ``sandbox.QueryPolicy`` wire form) plus the columns the records API never delivers.
* :class:`PrivacyBudget` — one row per agreement: ε spent and its limit, in nano-ε integers
  (exact; a conditional ``UPDATE … WHERE spent + cost <= limit`` is the only debit).
* :class:`SandboxAnswer` — the cached noisy release per (agreement, query fingerprint).
* :class:`UsageRecord` — one metering row per served call or query (billing input).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, enum_column

#: ε is stored in units of 1e-9 (nano-ε): integers, never floats.
NANO = 10**9


class UsageUnit(enum.Enum):
    api_call = "api_call"
    sandbox_query = "sandbox_query"


class QueryPolicyRow(db.Model):
    __tablename__ = "access_query_policies"

    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"),
                                                    primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("elements.id"), index=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    excluded_columns: Mapped[list[str]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyBudget(db.Model):
    __tablename__ = "access_privacy_budgets"
    __table_args__ = (CheckConstraint("spent_nano >= 0 AND spent_nano <= limit_nano",
                                      name="within_limit"),)

    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    limit_nano: Mapped[int] = mapped_column(BigInteger)
    spent_nano: Mapped[int] = mapped_column(BigInteger)


class SandboxAnswer(db.Model):
    __tablename__ = "access_sandbox_answers"
    __table_args__ = (UniqueConstraint("agreement_id", "fingerprint"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    element_version_id: Mapped[str] = mapped_column(ForeignKey("element_versions.id"))
    release: Mapped[dict[str, Any]] = mapped_column(JSON)
    result_sha256: Mapped[str] = mapped_column(String(64))
    epsilon_nano: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class UsageRecord(db.Model):
    __tablename__ = "access_usage"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    unit: Mapped[UsageUnit] = mapped_column(enum_column(UsageUnit))
    n: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
