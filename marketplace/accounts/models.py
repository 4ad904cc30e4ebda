"""Identity: users, organisations (数商 kinds), memberships with roles, tokens and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, enum_column


class OrgKind(enum.Enum):
    resource_provider = "resource_provider"
    data_developer = "data_developer"
    data_broker = "data_broker"
    compliance_consultant = "compliance_consultant"
    valuation_agency = "valuation_agency"
    buyer = "buyer"
    operator = "operator"


MERCHANT_KINDS = frozenset({OrgKind.resource_provider, OrgKind.data_developer,
                            OrgKind.data_broker, OrgKind.compliance_consultant})


class OrgStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    suspended = "suspended"


class Role(enum.Enum):
    merchant_admin = "merchant_admin"
    merchant_member = "merchant_member"
    buyer = "buyer"
    assessor = "assessor"
    operator_admin = "operator_admin"
    auditor = "auditor"


#: Which roles a member of each kind of organisation may hold (DESIGN.md "Users and roles").
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    **{kind: frozenset({Role.merchant_admin, Role.merchant_member}) for kind in MERCHANT_KINDS},
    OrgKind.buyer: frozenset({Role.buyer}),
    OrgKind.valuation_agency: frozenset({Role.assessor}),
    OrgKind.operator: frozenset({Role.operator_admin, Role.auditor}),
}

#: The role the creator of an organisation receives.
FOUNDER_ROLE: dict[OrgKind, Role] = {
    **{kind: Role.merchant_admin for kind in MERCHANT_KINDS},
    OrgKind.buyer: Role.buyer,
    OrgKind.valuation_agency: Role.assessor,
    OrgKind.operator: Role.operator_admin,
}



class User(db.Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind))
    status: Mapped[OrgStatus] = mapped_column(enum_column(OrgStatus))
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class RefreshToken(db.Model):
    """Opaque refresh tokens, stored as SHA-256; rotated on use, reuse revokes the family
    (OAuth 2.0 Security BCP, RFC 9700 §4.14.2)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(24), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiKey(db.Model):
    """Program credentials ``elx_<id>_<secret>``; only SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttempt(db.Model):
    """Failed and successful logins, for throttling password guessing (per account, per client)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"),
                      Index("ix_login_attempts_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
