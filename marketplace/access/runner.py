"""The app's sandbox worker pool (issue 7 §5): one :class:`sandbox.SandboxRunner` per app in
``app.extensions``, created on first use from ``SANDBOX_WORKERS`` (default 2),
``SANDBOX_TIMEOUT_SECONDS`` (10) and ``SANDBOX_MEMORY_LIMIT`` ("1GB"); its worker processes
stop when the app is garbage-collected or the process exits. Tests may install their own."""

from __future__ import annotations

import threading
import weakref

from flask import current_app

from sandbox import SandboxRunner

__all__ = ["EXTENSION", "runner"]

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
