"""API keys for buyers' programs: ``elx_<key id>_<secret>``, shown once, stored as SHA-256.

The secret carries 256 random bits, so a fast hash suffices (no password stretching); lookup is
by the key id embedded in the credential and the hash comparison is constant-time.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.common import HIDDEN, get_by_id, sha256_hex
from marketplace.accounts.models import ApiKey
from marketplace.auth import API_KEY_PREFIX, Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.ids import new_id

_SECRET = re.compile(r"[A-Za-z0-9-]{43}")  # token_urlsafe(32) with "_" mapped to "-"


def _new_secret() -> str:
    return secrets.token_urlsafe(32).replace("_", "-")


def find(presented: str) -> ApiKey | None:
    """The key a presented credential names, if its secret matches; None for anything else."""
    if len(presented) > 100 or not presented.startswith(API_KEY_PREFIX):
        return None
    key_id, sep, secret = presented.removeprefix(API_KEY_PREFIX).rpartition("_")
    if not sep or not key_id.startswith("key_") or not _SECRET.fullmatch(secret):
        return None
    key = get_by_id(ApiKey, key_id)
    if key is None or not hmac.compare_digest(key.secret_hash, sha256_hex(secret)):
        return None
    return key


def create(principal: Principal | None, org_id: str, name: str,
           ttl_days: int | None) -> tuple[ApiKey, str]:
    """A new key for an approved buyer organisation the caller buys for; returns the secret
    credential once (only its hash is stored)."""
    p = authorize(principal, "api_key.create", org_id)
    now = utcnow()
    days = ttl_days or current_app.config["API_KEY_DEFAULT_TTL_DAYS"]
    secret = _new_secret()
    key = ApiKey(id=new_id("key"), org_id=org_id, user_id=p.user_id, name=name.strip(),
                 secret_hash=sha256_hex(secret), created_at=now,
                 expires_at=now + timedelta(days=days))
    db.session.add(key)
    db.session.commit()
    return key, f"{API_KEY_PREFIX}{key.id}_{secret}"


def list_keys(principal: Principal | None) -> list[ApiKey]:
    """Keys of every organisation the caller belongs to (metadata only, never secrets)."""
    p = authorize(principal, "api_key.list")
    org_ids = [m.org_id for m in p.memberships]
    if not org_ids:
        return []
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.org_id.in_(org_ids)).order_by(ApiKey.created_at,
                                                                 ApiKey.id)))


def revoke(principal: Principal | None, key_id: str) -> ApiKey:
    """Revoke a key of the caller's organisation (idempotent); others' keys are hidden (404)."""
    key = get_by_id(ApiKey, key_id)
    if key is None:
        authorize(principal, "api_key.list")  # 401/403 before 404
        raise NotFound(HIDDEN)
    authorize(principal, "api_key.revoke", key)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    return key
