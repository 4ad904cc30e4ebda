"""One error tree, one HTTP mapping: RFC 9457 ``application/problem+json``.

Services raise :class:`DomainError` subclasses; :func:`register_error_handlers` turns them, and
every Werkzeug HTTP error, into a problem document. Nothing else reaches a client: no stack trace,
no engine message.

::

    DomainError (500 "internal")
    ├── BadRequest            400  malformed request (JSON syntax, truncated body)
    ├── Unauthorized          401  no or invalid credentials
    ├── PaymentRequired       402  quota exhausted, payment outstanding
    ├── Forbidden             403  authenticated but not allowed
    ├── NotFound              404  no such resource (or not visible to the caller)
    ├── Conflict              409  state conflict, duplicate, replay
    ├── PayloadTooLarge       413  upload or body above the configured limit
    ├── UnsupportedMediaType  415  wrong Content-Type
    ├── ValidationFailed      422  well-formed but invalid; ``errors`` maps field → messages
    └── RateLimited           429  throttled; ``retry_after`` seconds
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://elx.example/problems/"

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service may raise; carries the HTTP status and a safe detail."""

    status = 500
    slug = "internal"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="elx"'}


class PaymentRequired(DomainError):
    status, slug, title = 402, "payment-required", "Payment required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(DomainError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(DomainError):
    """422; ``errors`` maps each field (dotted path) to a list of messages."""

    status, slug, title = 422, "validation-failed", "Validation failed"

    def __init__(self, detail: str | None = None, errors: dict[str, Any] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail or "The request did not pass validation.", **extra)
        self.errors = errors or {}

    def to_problem(self) -> dict[str, Any]:
        body = super().to_problem()
        body["errors"] = self.errors
        return body


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str | None = None, retry_after: int = 1, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


_BY_STATUS: dict[int, type[DomainError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, PaymentRequired, Forbidden, NotFound, MethodNotAllowed,
                Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed, RateLimited)
}


def problem_response(error: DomainError) -> Response:
    """Render ``error`` as problem+json with its status and headers."""
    response = Response(json.dumps(error.to_problem(), ensure_ascii=False),
                        status=error.status, mimetype=PROBLEM_JSON)
    for name, value in error.headers().items():
        response.headers[name] = value
    return response


def from_http_exception(exc: HTTPException) -> DomainError:
    """Map a Werkzeug error (404 routing, 405, 413 from MAX_CONTENT_LENGTH…) onto the tree."""
    code = exc.code or 500
    cls = _BY_STATUS.get(code)
    if cls is None:
        error = DomainError(exc.description if code < 500 else None)
        error.status = code
        error.title = exc.name
        error.slug = exc.name.lower().replace(" ", "-")
        return error
    detail = exc.description if isinstance(exc.description, str) else None
    if cls is MethodNotAllowed:
        error = cls(detail)
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            error.headers = lambda: {"Allow": ", ".join(sorted(allowed))}  # type: ignore[method-assign]
        return error
    return cls(detail)


def register_error_handlers(app: Flask) -> None:
    """Install the single mapping from exceptions to problem+json responses."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return problem_response(from_http_exception(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(DomainError("An unexpected error occurred."))
