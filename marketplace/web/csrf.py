"""Cross-site request forgery protection for every console form (issue 8 §7).

Synchroniser token bound to the session (OWASP CSRF Prevention Cheat Sheet, "Signed Double-Submit
Cookie" / HMAC-based token): ``token = HMAC-SHA256(SECRET_KEY, "csrf" ‖ binding)`` where the
binding is the SHA-256 of the session cookie for a signed-in person, else the pre-session nonce
cookie. A request that changes state must carry the token (form field ``csrf_token`` or header
``X-CSRF-Token``) and, when the browser sends ``Origin``, come from our own origin.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request

from marketplace.web.session import SESSION_COOKIE, pre_session_nonce, web_principal

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailure(Exception):
    """The form is stale or forged: answered with 403 and a page asking to retry."""


def _binding() -> str:
    secret = request.cookies.get(SESSION_COOKIE, "")
    if secret and web_principal() is not None:
        return "s:" + hashlib.sha256(secret.encode()).hexdigest()
    return "p:" + pre_session_nonce()


def csrf_token() -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"csrf\x00" + _binding().encode(), hashlib.sha256).hexdigest()


def _same_origin(origin: str) -> bool:
    return origin == request.host_url.rstrip("/")


def check_request() -> None:
    """Raise :class:`CsrfFailure` for a state-changing request without a valid token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        raise CsrfFailure("cross-origin")
    presented = request.headers.get(HEADER) or request.form.get(FIELD, "")
    if not presented or not hmac.compare_digest(presented, csrf_token()):
        raise CsrfFailure("token")
