"""Console sessions (issue 8 §7): an opaque cookie naming a server-side session.

The cookie holds a fresh refresh-token secret issued at sign-in (the same revocable, expiring row
the API uses, see :mod:`marketplace.accounts.sessions`), so signing out — here or through the
API — revokes it. A session id is never accepted from before sign-in: ``sign_in`` always issues
a new one and drops the pre-session nonce, which defeats session fixation (OWASP Session
Management Cheat Sheet, "Renew the Session ID After Any Privilege Level Change").
"""

from __future__ import annotations

import secrets

from flask import current_app, g, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace.accounts.common import principal_for, sha256_hex
from marketplace.accounts.models import RefreshToken, User
from marketplace.accounts.sessions import login, logout
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db

SESSION_COOKIE = "elx_session"
PRE_SESSION_COOKIE = "elx_pre"


def secure_cookies() -> bool:
    """Secure cookies behind TLS: always when configured, else when the request came over TLS."""
    setting = current_app.config["WEB_COOKIE_SECURE"]
    return request.is_secure if setting == "auto" else setting == "always"


def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="Lax", secure=secure_cookies())


def web_principal() -> Principal | None:
    """The signed-in person of this request (None when anonymous); looked up once."""
    if "elx_web_principal" not in g:
        g.elx_web_principal = _lookup(request.cookies.get(SESSION_COOKIE, ""))
    return g.elx_web_principal


def _lookup(secret: str) -> Principal | None:
    if not secret:
        return None
    row = db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(secret)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(user)


def pre_session_nonce() -> str:
    """The anonymous visitor's CSRF binding; created on first use, set by ``after_request``."""
    if "elx_pre_nonce" not in g:
        existing = request.cookies.get(PRE_SESSION_COOKIE, "")
        g.elx_pre_nonce = existing if len(existing) == 43 else secrets.token_urlsafe(32)
        g.elx_pre_new = g.elx_pre_nonce != existing
    return g.elx_pre_nonce


def sign_in(email: str, password: str, response: Response) -> None:
    """Check the password (throttled like the API) and start a brand-new session."""
    pair = login(email, password, request.remote_addr or "unknown")
    set_cookie(response, SESSION_COOKIE, pair.refresh_token,
               int(current_app.config["REFRESH_TOKEN_TTL"]))
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    g.elx_pre_new = False


def sign_out(response: Response) -> None:
    """Revoke the server-side session and clear the cookie (idempotent)."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if secret and web_principal() is not None:
        logout(secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
