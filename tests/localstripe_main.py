"""The localstripe launcher moved to :mod:`marketplace.payments.devserver` (``make run`` uses it
too); ``python -m tests.localstripe_main`` still works for the test fixture."""

from __future__ import annotations

from marketplace.payments.devserver import (  # noqa: F401 - re-exported
    DECLINED_WHEN_CHARGED,
    build_app,
    idempotency_middleware,
    main,
)

if __name__ == "__main__":
    main()
