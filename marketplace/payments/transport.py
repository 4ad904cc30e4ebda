"""One HTTPS call to a Stripe-compatible API, with timeouts and safe retries.

Retries follow https://docs.stripe.com/error-low-level#idempotency: a request is retried only
when it may not have reached the provider or the provider failed — connection errors, timeouts,
HTTP 5xx — with exponential backoff and jitter; every POST carries an ``Idempotency-Key`` so a
retried POST is executed at most once. A 4xx is the provider's final word and is never retried;
HTTP 402 is a card decline (https://docs.stripe.com/api/errors).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from marketplace.payments.errors import (
    CardDeclined,
    IdempotencyKeyReused,
    PaymentProviderError,
    PaymentProviderUnavailable,
    ProviderRejected,
)
from marketplace.payments.form import encode

log = logging.getLogger(__name__)

RETRYABLE: tuple[type[Exception], ...] = (
    requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` after the first attempt; attempt n waits between half and all of
    ``min(max_delay, base_delay · 2ⁿ)`` seconds ("equal jitter")."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** attempt)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Transport:
    """Authenticated requests to ``base_url``; returns the decoded JSON object or raises one
    of :mod:`marketplace.payments.errors`. One ``requests.Session`` per thread."""

    def __init__(self, base_url: str, secret_key: str, *,
                 timeout: tuple[float, float] = (5.0, 30.0),
                 retry: RetryPolicy | None = None, api_version: str | None = None,
                 session_factory: Callable[[], requests.Session] = requests.Session,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._headers = {"Authorization": f"Bearer {secret_key}", "User-Agent": "elx/0.1"}
        if api_version:
            self._headers["Stripe-Version"] = api_version
        self._session_factory = session_factory
        self._local = threading.local()
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter only, not a secret

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._session_factory()
        return session

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                idempotency_key: str | None = None) -> dict[str, Any]:
        """``GET`` sends ``params`` as the query, ``POST`` as a form body (with the key)."""
        if method == "POST" and not idempotency_key:
            raise ValueError("every POST needs an Idempotency-Key")
        pairs = encode(params or {})
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in range(self.retry.max_retries + 1):
            last = attempt == self.retry.max_retries
            try:
                response = self._session().request(
                    method, self.base_url + path, headers=headers, timeout=self.timeout,
                    params=pairs if method == "GET" else None,
                    data=pairs if method != "GET" else None)
            except RETRYABLE as exc:
                if last:
                    raise PaymentProviderUnavailable(
                        "The payment provider could not be reached.") from exc
                self._wait(attempt, method, path, type(exc).__name__)
                continue
            if response.status_code >= 500 and not last:
                self._wait(attempt, method, path, f"HTTP {response.status_code}")
                continue
            return _result(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, method: str, path: str, reason: str) -> None:
        delay = self.retry.delay(attempt, self._rng)
        log.warning("payment provider %s %s failed (%s); retry %d in %.2fs",
                    method, path, reason, attempt + 1, delay)
        self._sleep(delay)


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _result(response: requests.Response) -> dict[str, Any]:
    status = response.status_code
    if 200 <= status < 300:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PaymentProviderError("The payment provider sent an unreadable answer.",
                                       provider_status=status)
        return body
    error = _error_body(response)
    if status >= 500:
        raise PaymentProviderUnavailable(provider_status=status, provider_error=error)
    if status == 402:
        intent = error.get("payment_intent")
        raise CardDeclined(
            error.get("message") if isinstance(error.get("message"), str) else None,
            code=error.get("code"), decline_code=error.get("decline_code"),
            payment_intent_id=intent.get("id") if isinstance(intent, dict) else None,
            charge_id=error.get("charge") if isinstance(error.get("charge"), str) else None)
    cls = IdempotencyKeyReused if error.get("type") == "idempotency_error" else ProviderRejected
    raise cls(provider_status=status, provider_error=error)
