"""People: registration (scrypt-hashed password) and ``/me``."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts import passwords
from marketplace.accounts.common import EMAIL_MAX, commit_unique, normalize_email
from marketplace.accounts.models import User
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, Unauthorized, ValidationFailed
from marketplace.ids import new_id

_TAKEN = "An account with this email already exists."


def register_user(email: str, display_name: str, password: str) -> User:
    """A new active user; emails are unique case-insensitively (stored lower-cased)."""
    email = normalize_email(email)
    if len(email) > EMAIL_MAX:  # "İ".lower() is two characters
        raise ValidationFailed(errors={"email": [f"Longer than {EMAIL_MAX} characters."]})
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_TAKEN)
    user = User(id=new_id("usr"), email=email, display_name=display_name.strip(),
                password_hash=passwords.hash_password(password, current_app.config["SCRYPT_N"]),
                is_active=True, created_at=utcnow())
    db.session.add(user)
    commit_unique(_TAKEN)
    return user


def me(principal: Principal | None) -> dict[str, Any]:
    """The caller, their memberships (an API key sees only its organisation) and key id."""
    p = authorize(principal, "me.read")
    user = db.session.get(User, p.user_id)
    if user is None:
        raise Unauthorized("The account no longer exists.")
    return {"user": user, "memberships": p.memberships, "api_key_id": p.api_key_id}
