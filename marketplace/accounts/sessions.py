"""Sign-in and sessions: credential checks, login throttling, refresh-token rotation.

Refresh tokens are opaque, stored as SHA-256, single use; presenting a used one revokes its whole
family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). Login failures are throttled per account and
per client (OWASP Authentication Cheat Sheet); unknown emails cost one scrypt like known ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from marketplace.accounts import api_keys, passwords
from marketplace.accounts.common import (
    EMAIL_MAX,
    get_by_id,
    normalize_email,
    principal_for,
    sha256_hex,
)
from marketplace.accounts.models import LoginAttempt, RefreshToken, User
from marketplace.accounts.tokens import decode_access_token, issue_access_token
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import RateLimited, Unauthorized
from marketplace.ids import new_id

REFRESH_PREFIX = "elxr_"
_BAD_LOGIN = "Wrong email or password."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def authenticate(kind: str, credential: str) -> Principal:
    """Resolve a JWT or API key to a principal; every failure is the same kind of 401."""
    now = utcnow()
    if kind == "jwt":
        user_id = decode_access_token(current_app.config["JWT_KEYSET"], credential, now)
        user = get_by_id(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("The access token is not valid.")
        return principal_for(user)
    key = api_keys.find(credential)
    user = db.session.get(User, key.user_id) if key is not None else None
    if key is None or key.revoked_at is not None or key.expires_at <= now \
            or user is None or not user.is_active:
        raise Unauthorized("The API key is not valid, expired or revoked.")
    return principal_for(user, api_key_id=key.id, only_org=key.org_id)


def _throttle(email: str, client: str, now: datetime) -> None:
    """Refuse when too many failures in the window, per account or per client (429)."""
    cfg = current_app.config
    window = cfg["LOGIN_WINDOW"]
    since = now - timedelta(seconds=window)
    for column, value, limit in ((LoginAttempt.email, email, cfg["LOGIN_MAX_FAILURES"]),
                                 (LoginAttempt.client, client,
                                  cfg["LOGIN_MAX_FAILURES_PER_CLIENT"])):
        # Attempts older than the window no longer matter: prune them (index-backed).
        db.session.execute(delete(LoginAttempt).where(column == value, LoginAttempt.at <= since))
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
        ).one()
        if count >= limit:
            retry = int((oldest + timedelta(seconds=window) - now).total_seconds()) + 1
            raise RateLimited("Too many failed sign-in attempts; try again later.",
                              retry_after=retry)


def login(email: str, password: str, client: str) -> TokenPair:
    """Exchange email + password for a token pair; throttled before the password is checked."""
    now = utcnow()
    email = normalize_email(email)[:EMAIL_MAX]  # longer ones match no account anyway
    _throttle(email, client, now)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        passwords.burn(password, current_app.config["SCRYPT_N"])
        ok = False
    else:  # verify first: an inactive account must cost the same as an active one
        ok = passwords.verify_password(password, user.password_hash) and user.is_active
    db.session.add(LoginAttempt(email=email, client=client, succeeded=ok, at=now))
    if not ok or user is None:
        db.session.commit()  # the failure must count even though the request fails
        raise Unauthorized(_BAD_LOGIN)
    pair = _issue_pair(user, family_id=new_id("fam"), now=now)
    db.session.commit()
    return pair


def _issue_pair(user: User, family_id: str, now: datetime) -> TokenPair:
    cfg = current_app.config
    secret = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(RefreshToken(
        id=new_id("rft"), user_id=user.id, family_id=family_id, token_hash=sha256_hex(secret),
        issued_at=now, expires_at=now + timedelta(seconds=cfg["REFRESH_TOKEN_TTL"])))
    access = issue_access_token(cfg["JWT_KEYSET"], user.id, now, cfg["ACCESS_TOKEN_TTL"])
    return TokenPair(access, secret, cfg["ACCESS_TOKEN_TTL"])


def _find_refresh(presented: str) -> RefreshToken | None:
    return db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(presented)))


def refresh(presented: str) -> TokenPair:
    """Rotate a refresh token; presenting a used one revokes its whole family.

    The old token is claimed with a conditional UPDATE, so two concurrent refreshes with the
    same token cannot both succeed (the loser is treated as reuse) on any isolation level.
    """
    now = utcnow()
    token = _find_refresh(presented)
    if token is None or token.expires_at <= now:
        raise Unauthorized("The refresh token is not valid.")
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The refresh token is not valid.")
    claimed = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        _revoke_family(token.family_id, now)
        db.session.commit()
        raise Unauthorized("The refresh token was already used; the session is revoked.")
    pair = _issue_pair(user, token.family_id, now)
    db.session.commit()
    return pair


def logout(presented: str) -> None:
    """Revoke the session (the whole refresh family); access tokens lapse within their TTL."""
    token = _find_refresh(presented)
    if token is None:
        raise Unauthorized("The refresh token is not valid.")
    _revoke_family(token.family_id, utcnow())
    db.session.commit()


def _revoke_family(family_id: str, now: datetime) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False))
