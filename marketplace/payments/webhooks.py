"""Stripe webhook signatures (https://docs.stripe.com/webhooks#verify-manually).

The ``Stripe-Signature`` header is ``t=<unix seconds>,v1=<hex>[,v1=<hex>…]``; other schemes
(``v0``…) are ignored. A ``v1`` value is HMAC-SHA256, keyed with an endpoint secret, of
``f"{t}.".encode() + payload`` (the raw body bytes). The event is accepted when any ``v1``
matches under any configured secret (several during a secret rotation), compared in constant
time, and — checked only after the signature, so a stale error means "authentic but old" —
``t`` lies within ``tolerance`` seconds of ``now``, in either direction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from marketplace.errors import BadRequest

TOLERANCE_SECONDS = 300


class SignatureError(BadRequest):
    slug, title = "webhook-signature-invalid", "Webhook signature invalid"


class MissingSignature(SignatureError):
    slug, title = "webhook-signature-missing", "Webhook signature missing"


class MalformedSignature(SignatureError):
    slug, title = "webhook-signature-malformed", "Webhook signature header malformed"


class NoValidSignature(SignatureError):
    """Well-formed header, but no ``v1`` matches the payload under any secret."""


class StaleSignature(SignatureError):
    slug, title = "webhook-signature-stale", "Webhook timestamp outside the tolerance"


def parse_header(header: str) -> tuple[int, list[str]]:
    """``(t, [v1, …])`` from a ``Stripe-Signature`` header; raises :class:`SignatureError`."""
    if not header or not header.strip():
        raise MissingSignature("The Stripe-Signature header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        scheme, sep, value = item.strip().partition("=")
        if not sep:
            raise MalformedSignature(f"Element {item.strip()!r} is not scheme=value.")
        if scheme == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise MalformedSignature("The timestamp t must appear once, as an integer.")
            timestamp = int(value)
        elif scheme == "v1":
            signatures.append(value)
    if timestamp is None:
        raise MalformedSignature("The header has no timestamp t.")
    if not signatures:
        raise MalformedSignature("The header has no v1 signature.")
    return timestamp, signatures


def configured_secrets(setting: str) -> list[str]:
    """The secrets of ``STRIPE_WEBHOOK_SECRET``: comma-separated, old and new while rotating."""
    return [part.strip() for part in setting.split(",") if part.strip()]


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``v1`` value for ``payload`` at ``timestamp`` (hex HMAC-SHA256)."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(payload: bytes, header: str, secrets: Iterable[str], now: datetime | float,
                     tolerance: int = TOLERANCE_SECONDS) -> None:
    """Return ``None`` if ``header`` authenticates ``payload`` at ``now``; raise otherwise."""
    keys = [s for s in ([secrets] if isinstance(secrets, str) else secrets) if s]
    if not keys:
        raise ValueError("no webhook secret configured")
    timestamp, candidates = parse_header(header)
    expected = [sign(payload, key, timestamp).encode() for key in keys]
    matched = False
    for candidate in candidates:
        given = candidate.encode("utf-8", "replace")
        for digest in expected:
            matched |= hmac.compare_digest(digest, given)
    if not matched:
        raise NoValidSignature("No v1 signature matches the payload.")
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - timestamp) > tolerance:
        raise StaleSignature(f"The timestamp is more than {tolerance} s from now.")
