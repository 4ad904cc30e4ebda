"""The app's sandbox worker pool (issue 7 §5): one :class:`sandbox.SandboxRunner` per app in
``app.extensions``, created on first use from ``SANDBOX_WORKERS`` (default 2),
``SANDBOX_TIMEOUT_SECONDS`` (10) and ``SANDBOX_MEMORY_LIMIT`` ("1GB"); its worker processes
stop when the app is garbage-collected or the process exits. Tests may install their own.
:func:`execute` runs a plan there and applies the privacy rules; engine failures become one
generic problem each (504 timeout, 503 engine error, 409 contribution bound broken)."""

from __future__ import annotations

import threading
import weakref

from flask import current_app

from marketplace.errors import Conflict, DomainError
from sandbox import (
    GENERIC_FAILURE,
    ExecutionPlan,
    PolicyError,
    QueryFailed,
    QueryTimeout,
    Release,
    SandboxRunner,
    apply_privacy,
)

__all__ = ["EXTENSION", "QueryTimedOut", "SandboxUnavailable", "execute", "runner"]

EXTENSION = "elx.sandbox_runner"
_lock = threading.Lock()


def runner() -> SandboxRunner:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        found = app.extensions.get(EXTENSION)
        if found is None:
            cfg = app.config
            found = SandboxRunner(max_workers=int(cfg.get("SANDBOX_WORKERS", 2)),
                                  timeout_s=float(cfg.get("SANDBOX_TIMEOUT_SECONDS", 10.0)),
                                  memory_limit=str(cfg.get("SANDBOX_MEMORY_LIMIT", "1GB")))
            app.extensions[EXTENSION] = found
            weakref.finalize(app, found.close)
    return found


class QueryTimedOut(DomainError):
    status, slug, title = 504, "query-timeout", "Query timed out"


class SandboxUnavailable(DomainError):
    status, slug, title = 503, "query-failed", "Query failed"


def execute(path: str, execution: ExecutionPlan) -> Release:
    """The noisy release of ``execution`` over the Parquet file at ``path``."""
    try:
        result = runner().execute(path, execution)
        return apply_privacy(result.rows, execution,
                             max_rows_per_identity=result.max_rows_per_identity)
    except QueryTimeout:
        raise QueryTimedOut("The query ran past the time limit and was stopped.") from None
    except QueryFailed:
        raise SandboxUnavailable(GENERIC_FAILURE) from None
    except PolicyError:
        raise Conflict("The element no longer satisfies its query policy's contribution "
                       "bound; its merchant must review the policy.") from None
