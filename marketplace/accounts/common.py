"""Helpers shared by the identity services: principals, id-guarded lookups, unique commits."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.auth import MembershipView, Principal
from marketplace.db import db
from marketplace.errors import Conflict

T = TypeVar("T")

#: The shape of ``marketplace.ids.new_id`` output; anything else cannot name a row.
_ID = re.compile(r"[a-z]{2,4}_[a-z2-7]{16}")


#: The detail of every 404 that might hide something: the words ``authz.authorize`` uses, so
#: "exists but not yours" and "does not exist" cannot be told apart.
HIDDEN = "No such resource."

#: Longest email the ``users.email`` column holds (RFC 5321 §4.5.3.1.3 path limit, less <>).
EMAIL_MAX = 254


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: strip and lower-case (which may lengthen them)."""
    return email.strip().lower()


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of a high-entropy secret (API keys, refresh tokens): never stored raw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_by_id(model: type[T], ident: str) -> T | None:
    """``session.get`` that never sends a malformed id (NUL, 10 kB, …) to the database."""
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        return None
    return db.session.get(model, ident)


def principal_for(user: User, api_key_id: str | None = None,
                  only_org: str | None = None) -> Principal:
    """The caller as seen by authorisation; an API key sees only its own organisation."""
    views = tuple(
        MembershipView(m.org_id, m.organization.kind, m.organization.status, m.role, m.is_owner)
        for m in user.memberships if only_org is None or m.org_id == only_org
    )
    return Principal(user.id, user.email, views, api_key_id)


def commit_unique(message: str, **extra: Any) -> None:
    """Commit; a unique-constraint race lost to a concurrent request becomes 409."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(message, **extra) from exc
