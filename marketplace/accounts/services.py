"""Identity services: registration, login with throttling, token refresh, organisations,
memberships and API keys. Each public function authorises first and commits once at the end."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts import passwords
from marketplace.accounts.models import (
    FOUNDER_ROLE,
    ROLES_BY_KIND,
    ApiKey,
    LoginAttempt,
    Membership,
    Organization,
    OrgKind,
    OrgStatus,
    RefreshToken,
    Role,
    User,
)
from marketplace.accounts.tokens import decode_access_token, issue_access_token
from marketplace.auth import API_KEY_PREFIX, MembershipView, Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound, RateLimited, Unauthorized, ValidationFailed
from marketplace.ids import new_id

REFRESH_PREFIX = "elxr_"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


# ---------------------------------------------------------------- authentication


def _principal_for(user: User, api_key_id: str | None = None,
                   only_org: str | None = None) -> Principal:
    views = tuple(
        MembershipView(m.org_id, m.organization.kind, m.organization.status, m.role, m.is_owner)
        for m in user.memberships if only_org is None or m.org_id == only_org
    )
    return Principal(user.id, user.email, views, api_key_id)


def authenticate(kind: str, credential: str) -> Principal:
    """Resolve a JWT or API key to a principal; every failure is the same kind of 401."""
    now = utcnow()
    if kind == "jwt":
        user_id = decode_access_token(current_app.config["JWT_KEYSET"], credential, now)
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("The access token is not valid.")
        return _principal_for(user)
    key = _find_api_key(credential)
    if key is None or key.revoked_at is not None or key.expires_at <= now:
        raise Unauthorized("The API key is not valid, expired or revoked.")
    user = db.session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The API key is not valid, expired or revoked.")
    return _principal_for(user, api_key_id=key.id, only_org=key.org_id)


def _find_api_key(presented: str) -> ApiKey | None:
    body = presented.removeprefix(API_KEY_PREFIX)
    key_id, sep, secret = body.rpartition("_")
    if not sep or not key_id.startswith("key_") or len(presented) > 200:
        return None
    key = db.session.get(ApiKey, key_id)
    if key is None or not hmac.compare_digest(key.secret_hash, _sha256(secret)):
        return None
    return key


# ---------------------------------------------------------------- users and login


def register_user(email: str, display_name: str, password: str) -> User:
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("An account with this email already exists.")
    user = User(id=new_id("usr"), email=email, display_name=display_name.strip(),
                password_hash=passwords.hash_password(password, current_app.config["SCRYPT_N"]),
                is_active=True, created_at=utcnow())
    db.session.add(user)
    _commit_unique("An account with this email already exists.")
    return user


def _throttle(email: str, client: str, now: datetime) -> None:
    """Refuse when too many failures in the window, per account or per client (429)."""
    window = current_app.config["LOGIN_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = now - timedelta(seconds=window)
    for column, value in ((LoginAttempt.email, email), (LoginAttempt.client, client)):
        failures = db.session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
        ).one()
        if failures[0] >= limit:
            oldest = failures[1]
            retry = int((oldest + timedelta(seconds=window) - now).total_seconds()) + 1
            raise RateLimited("Too many failed sign-in attempts; try again later.",
                              retry_after=retry)


def login(email: str, password: str, client: str) -> TokenPair:
    now = utcnow()
    email = email.strip().lower()
    _throttle(email, client, now)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = False
    if user is None:
        passwords.burn(password, current_app.config["SCRYPT_N"])
    else:
        ok = user.is_active and passwords.verify_password(password, user.password_hash)
    db.session.add(LoginAttempt(email=email, client=client, succeeded=ok, at=now))
    if not ok:
        db.session.commit()  # the failure must count even though the request fails
        raise Unauthorized("Wrong email or password.")
    assert user is not None
    pair = _issue_pair(user, family_id=new_id("fam"), now=now)
    db.session.commit()
    return pair


def _issue_pair(user: User, family_id: str, now: datetime) -> TokenPair:
    cfg = current_app.config
    secret = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(RefreshToken(
        id=new_id("rft"), user_id=user.id, family_id=family_id, token_hash=_sha256(secret),
        issued_at=now, expires_at=now + timedelta(seconds=cfg["REFRESH_TOKEN_TTL"])))
    access = issue_access_token(cfg["JWT_KEYSET"], user.id, now, cfg["ACCESS_TOKEN_TTL"])
    return TokenPair(access, secret, cfg["ACCESS_TOKEN_TTL"])


def refresh(presented: str) -> TokenPair:
    """Rotate a refresh token; presenting a used one revokes its whole family."""
    now = utcnow()
    token = db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _sha256(presented)))
    if token is None or token.expires_at <= now:
        raise Unauthorized("The refresh token is not valid.")
    if token.revoked_at is not None:
        _revoke_family(token.family_id, now)
        db.session.commit()
        raise Unauthorized("The refresh token was already used; the session is revoked.")
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The refresh token is not valid.")
    token.revoked_at = now
    pair = _issue_pair(user, token.family_id, now)
    db.session.commit()
    return pair


def logout(presented: str) -> None:
    now = utcnow()
    token = db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _sha256(presented)))
    if token is None:
        raise Unauthorized("The refresh token is not valid.")
    _revoke_family(token.family_id, now)
    db.session.commit()


def _revoke_family(family_id: str, now: datetime) -> None:
    for tok in db.session.scalars(select(RefreshToken).where(
            RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))):
        tok.revoked_at = now


def me(principal: Principal | None) -> dict[str, Any]:
    p = authorize(principal, "me.read")
    user = db.session.get(User, p.user_id)
    assert user is not None
    return {"user": user, "memberships": p.memberships, "api_key_id": p.api_key_id}


# ---------------------------------------------------------------- organisations


def create_organization(principal: Principal | None, name: str, kind: OrgKind,
                        credit_code: str | None) -> Organization:
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
    _commit_unique("An organisation with this name already exists.")
    return org


def get_organization(principal: Principal | None, org_id: str) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        authorize(principal, "organization.list")  # 401 before 404 for anonymous callers
        raise NotFound("No such organisation.")
    authorize(principal, "organization.read", org)
    return org


def approve_organization(principal: Principal | None, org_id: str) -> Organization:
    p = authorize(principal, "organization.approve")
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.")
    if org.status is not OrgStatus.pending:
        raise Conflict(f"The organisation is already {org.status.value}.")
    org.status = OrgStatus.approved
    org.approved_by = p.user_id
    org.approved_at = utcnow()
    db.session.commit()
    return org


def add_member(principal: Principal | None, org_id: str, email: str, role: Role) -> Membership:
    org = get_organization(principal, org_id)
    authorize(principal, "organization.member.add", org)
    if role not in ROLES_BY_KIND[org.kind]:
        allowed = sorted(r.value for r in ROLES_BY_KIND[org.kind])
        raise ValidationFailed(errors={"role": [f"Must be one of {allowed} for this kind."]})
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise ValidationFailed(errors={"email": ["No registered user has this email."]})
    if db.session.scalar(select(Membership.id).where(Membership.user_id == user.id,
                                                     Membership.org_id == org.id)):
        raise Conflict("The user is already a member.")
    membership = Membership(id=new_id("mem"), user_id=user.id, org_id=org.id, role=role,
                            is_owner=False, created_at=utcnow())
    db.session.add(membership)
    _commit_unique("The user is already a member.")
    return membership


# ---------------------------------------------------------------- API keys


def create_api_key(principal: Principal | None, org_id: str, name: str,
                   ttl_days: int | None) -> tuple[ApiKey, str]:
    p = authorize(principal, "api_key.create", org_id)
    now = utcnow()
    days = ttl_days or current_app.config["API_KEY_DEFAULT_TTL_DAYS"]
    secret = secrets.token_urlsafe(32).replace("_", "-")
    key = ApiKey(id=new_id("key"), org_id=org_id, user_id=p.user_id, name=name.strip(),
                 secret_hash=_sha256(secret), created_at=now,
                 expires_at=now + timedelta(days=days))
    db.session.add(key)
    db.session.commit()
    return key, f"{API_KEY_PREFIX}{key.id}_{secret}"


def list_api_keys(principal: Principal | None) -> list[ApiKey]:
    p = authorize(principal, "api_key.list")
    org_ids = [m.org_id for m in p.memberships]
    if not org_ids:
        return []
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.org_id.in_(org_ids)).order_by(ApiKey.created_at)))


def revoke_api_key(principal: Principal | None, key_id: str) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        authorize(principal, "api_key.list")
        raise NotFound("No such API key.")
    authorize(principal, "api_key.revoke", key)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    return key


def _commit_unique(message: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(message) from exc


# ---------------------------------------------------------------- bootstrap (CLI, demo, tests)


def bootstrap_operator(email: str, display_name: str, password: str,
                       org_name: str = "elx 运营公司 Operating Company") -> Organization:
    """Create (idempotently) the operating company with one ``operator_admin``.

    The operator organisation cannot be created through the API; this is the trusted path used
    by ``flask --app marketplace demo load`` and deployment scripts.
    """
    now = utcnow()
    user = db.session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(id=new_id("usr"), email=email.lower(), display_name=display_name,
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
