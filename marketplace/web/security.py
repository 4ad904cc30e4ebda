"""Response headers and request guards for console pages (issue 8 §7).

* ``Content-Security-Policy`` allows only our own scripts and styles — no inline script or
  style, so markup a merchant typed can never run (CSP Level 3) — and ``frame-ancestors 'none'``
  with ``X-Frame-Options: DENY`` against clickjacking (RFC 7034).
* Every state-changing console request passes :func:`marketplace.web.csrf.check_request`.
* The signed-in person (cookie session) becomes the request's principal for the services, so
  pages are authorised exactly like the API; API routes never read the cookie.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request
from werkzeug.wrappers import Response

from marketplace.web import csrf
from marketplace.web.session import PRE_SESSION_COOKIE, set_cookie, web_principal

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
PRE_SESSION_MAX_AGE = 2 * 3600
FORM_SLACK = 1 << 20  # multipart headers and the other fields of an upload form


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def _console_request() -> None:
    # Forms (uploads without JavaScript included) are parsed to read the CSRF token: bound the
    # body first, so an oversize multipart upload is refused with 413 before it is spooled.
    request.max_content_length = int(current_app.config["MAX_UPLOAD_BYTES"]) + FORM_SLACK
    csrf.check_request()
    g.elx_principal = web_principal()  # what marketplace.auth.current_principal returns


def _remember_pre_session(response: Response) -> Response:
    if g.get("elx_pre_new"):
        set_cookie(response, PRE_SESSION_COOKIE, g.elx_pre_nonce, PRE_SESSION_MAX_AGE)
    if request.endpoint and response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def guard(bp: Blueprint) -> None:
    bp.before_request(_console_request)
    bp.after_request(_remember_pre_session)


def install(app: Flask) -> None:
    app.after_request(_headers)
