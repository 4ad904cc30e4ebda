"""Organisations (数商 kinds) and memberships: create, read, approve, add members.

DESIGN.md "Users and roles": an organisation acts only after the operator approves it; the
operator organisation itself exists only through the trusted bootstrap path, never the API.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from marketplace.accounts import passwords
from marketplace.accounts.common import HIDDEN, commit_unique, get_by_id, normalize_email
from marketplace.accounts.models import (
    FOUNDER_ROLE,
    ROLES_BY_KIND,
    Membership,
    Organization,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.ids import new_id


def create_organization(principal: Principal | None, name: str, kind: OrgKind,
                        credit_code: str | None) -> Organization:
    """A pending organisation founded by the caller, who becomes its owner."""
    p = authorize(principal, "organization.create")
    if kind is OrgKind.operator:
        raise ValidationFailed(errors={"kind": ["The operator organisation cannot be created "
                                                "through the API."]})
    name = name.strip()
    if db.session.scalar(select(Organization.id).where(Organization.name == name)):
        raise Conflict("An organisation with this name already exists.")
    now = utcnow()
    org = Organization(id=new_id("org"), name=name, kind=kind, status=OrgStatus.pending,
                       credit_code=credit_code, created_by=p.user_id, created_at=now)
    db.session.add(org)
    db.session.add(Membership(id=new_id("mem"), user_id=p.user_id, org_id=org.id,
                              role=FOUNDER_ROLE[kind], is_owner=True, created_at=now))
    commit_unique("An organisation with this name already exists.")
    return org


def get_organization(principal: Principal | None, org_id: str) -> Organization:
    """Members and operator staff see an organisation; everyone else gets 404."""
    org = get_by_id(Organization, org_id)
    if org is None:
        authorize(principal, "organization.list")  # 401 before 404 for anonymous callers
        raise NotFound(HIDDEN)
    authorize(principal, "organization.read", org)
    return org


def approve_organization(principal: Principal | None, org_id: str) -> Organization:
    """``pending`` → ``approved``, by an operator admin only; anything else is 409."""
    p = authorize(principal, "organization.approve")
    org = get_by_id(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.")
    if org.status is not OrgStatus.pending:
        raise Conflict(f"The organisation is already {org.status.value}.")
    org.status = OrgStatus.approved
    org.approved_by = p.user_id
    org.approved_at = utcnow()
    db.session.commit()
    return org



def list_for_review(principal: Principal | None) -> list[Organization]:
    """Every organisation but the operator's, pending ones first, then by name (operator
    staff; the console's approval queue)."""
    authorize(principal, "organization.review.read")
    rows = db.session.scalars(select(Organization).where(Organization.kind != OrgKind.operator)
                              .order_by(Organization.name))
    return sorted(rows, key=lambda org: org.status is not OrgStatus.pending)


def names(ids: set[str]) -> dict[str, str]:
    """Display names of organisations, for pages that show ids (no authorisation: names of
    organisations the caller already has ids of)."""
    if not ids:
        return {}
    rows = db.session.execute(select(Organization.id, Organization.name)
                              .where(Organization.id.in_(ids)))
    return {org_id: name for org_id, name in rows}

def add_member(principal: Principal | None, org_id: str, email: str, role: Role) -> Membership:
    """Add a registered user with a role that fits the organisation's kind (owner/admin only)."""
    org = get_organization(principal, org_id)
    authorize(principal, "organization.member.add", org)
    if role not in ROLES_BY_KIND[org.kind]:
        allowed = sorted(r.value for r in ROLES_BY_KIND[org.kind])
        raise ValidationFailed(errors={"role": [f"Must be one of {allowed} for this kind."]})
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise ValidationFailed(errors={"email": ["No registered user has this email."]})
    if db.session.scalar(select(Membership.id).where(Membership.user_id == user.id,
                                                     Membership.org_id == org.id)):
        raise Conflict("The user is already a member.")
    membership = Membership(id=new_id("mem"), user_id=user.id, org_id=org.id, role=role,
                            is_owner=False, created_at=utcnow())
    db.session.add(membership)
    commit_unique("The user is already a member.")
    return membership


def bootstrap_operator(email: str, display_name: str, password: str,
                       org_name: str = "elx 运营公司 Operating Company") -> Organization:
    """Create (idempotently) the operating company with one ``operator_admin``.

    The operator organisation cannot be created through the API; this is the trusted path used
    by ``flask --app marketplace demo load`` and deployment scripts.
    """
    now = utcnow()
    email = normalize_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(id=new_id("usr"), email=email, display_name=display_name,
                    password_hash=passwords.hash_password(password,
                                                          current_app.config["SCRYPT_N"]),
                    is_active=True, created_at=now)
        db.session.add(user)
    org = db.session.scalar(select(Organization).where(Organization.kind == OrgKind.operator))
    if org is None:
        org = Organization(id=new_id("org"), name=org_name, kind=OrgKind.operator,
                           status=OrgStatus.approved, created_by=user.id, created_at=now,
                           approved_by=user.id, approved_at=now)
        db.session.add(org)
    db.session.flush()
    if not db.session.scalar(select(Membership.id).where(Membership.user_id == user.id,
                                                         Membership.org_id == org.id)):
        db.session.add(Membership(id=new_id("mem"), user_id=user.id, org_id=org.id,
                                  role=Role.operator_admin, is_owner=True, created_at=now))
    db.session.commit()
    return org
