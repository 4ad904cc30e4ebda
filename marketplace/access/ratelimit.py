"""Token-bucket rate limits per API key for the records API (issue 7 §1).

Choice: in-process buckets behind one lock (no database round trip, no row lock shared by
every call of a key). The limit therefore holds per web process: with W gunicorn workers a key
may get up to W × the rate. The exact, durable bound on use is the license's count quota
(:mod:`.gate`), which is enforced in the database. A bucket holds at most ``burst`` tokens and
refills at ``rate`` per second; a call takes one token or is refused with the seconds until the
next token (``Retry-After``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from flask import current_app

from marketplace.errors import RateLimited

__all__ = ["TokenBucket", "limit"]

_EXTENSION = "elx.access.ratelimit"
_create_lock = threading.Lock()


class TokenBucket:
    """Buckets keyed by a string; ``take`` is atomic under the lock."""

    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst, self.clock = float(rate), int(burst), clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 if a token was taken, else the seconds until one will be available."""
        with self._lock:
            now = self.clock()
            tokens, at = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def _bucket() -> TokenBucket:
    app = current_app
    with _create_lock:
        bucket = app.extensions.get(_EXTENSION)
        if bucket is None:
            bucket = TokenBucket(float(app.config.get("RECORDS_RATE_PER_SECOND", 20.0)),
                                 int(app.config.get("RECORDS_RATE_BURST", 40)))
            app.extensions[_EXTENSION] = bucket
    return bucket


def limit(key: str) -> None:
    """Take a token for ``key`` or raise 429 with ``Retry-After`` (whole seconds, >= 1)."""
    wait = _bucket().take(key)
    if wait > 0:
        raise RateLimited("Too many calls with this API key; slow down.",
                          retry_after=max(1, math.ceil(wait)))
