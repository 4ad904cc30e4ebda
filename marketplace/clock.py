"""The clock behind an interface, so tests can move time (token expiry, throttling windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import current_app, has_app_context


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A settable clock for tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def utcnow() -> datetime:
    """Current time, aware UTC, from the application's clock."""
    if has_app_context():
        clock: Clock | None = current_app.extensions.get("elx.clock")
        if clock is not None:
            return clock.now()
    return datetime.now(UTC)
