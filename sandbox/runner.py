"""The hardened query runner (issue 7 §5): a pool of worker *processes*, each running DuckDB
locked down as described in :mod:`sandbox.worker`.

Each request goes to an idle worker over a pipe. The worker interrupts its own connection at
``timeout_s``; if no answer arrives within ``timeout_s + grace_s`` (the engine ignored the
interrupt, the process hangs or died), the worker is killed and a fresh one takes its place, so
the pool keeps serving. Failures surface as :class:`QueryTimeout` or the generic
:class:`QueryFailed`; no engine text ever crosses the pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.errors import QueryFailed, QueryTimeout
from sandbox.rewrite import ExecutionPlan
from sandbox.worker import serve

__all__ = ["ExecutionResult", "SandboxRunner"]

_STARTUP_S = 60.0


@dataclass(frozen=True)
class ExecutionResult:
    """Rows of a plan and the element's observed maximum rows per identity."""

    rows: list[tuple[Any, ...]]
    max_rows_per_identity: int


class _Worker:
    def __init__(self, ctx: Any, settings: dict[str, Any]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, settings), daemon=True,
                                   name="elx-sandbox-worker")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.conn.poll(_STARTUP_S) or self.conn.recv() != ("ready",):
                raise QueryFailed()
            self.ready = True

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class SandboxRunner:
    """Runs SQL on one element's Parquet file in hardened worker processes.

    ``memory_limit`` and ``threads`` apply per worker; ``max_result_rows`` caps what a single
    statement may return (plans already cap themselves at ``max_groups + 1``)."""

    def __init__(self, max_workers: int = 2, timeout_s: float = 10.0,
                 memory_limit: str = "1GB", threads: int = 1, grace_s: float = 2.0,
                 max_open_elements: int = 4, max_result_rows: int = 100_000) -> None:
        self.timeout_s, self.grace_s = timeout_s, grace_s
        self.max_result_rows = max_result_rows
        self._settings = {"memory_limit": memory_limit, "threads": threads,
                          "max_open": max_open_elements}
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._closed = False
        for _ in range(max_workers):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self._ctx, self._settings)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.remove(worker)
        if not self._closed:
            self._add()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for operations and tests)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def _request(self, message: dict[str, Any]) -> tuple[Any, ...]:
        if self._closed:
            raise QueryFailed()
        worker = self._idle.get()
        while not worker.process.is_alive():  # died while idle: replace it before use
            self._replace(worker)
            worker = self._idle.get()
        try:
            worker.wait_ready()
            worker.conn.send({**message, "timeout": self.timeout_s,
                              "max_rows": self.max_result_rows})
            answered = worker.conn.poll(self.timeout_s + self.grace_s)
            reply = worker.conn.recv() if answered else None
        except (EOFError, OSError, QueryFailed):  # the worker died or never started
            self._replace(worker)
            raise QueryFailed() from None
        if reply is None:  # the interrupt did not bring it back in time
            self._replace(worker)
            raise QueryTimeout()
        self._idle.put(worker)
        if reply[0] == "timeout":
            raise QueryTimeout()
        if reply[0] != "ok":
            raise QueryFailed()
        return reply

    def run(self, parquet_path: str | os.PathLike[str], sql: str, params: Sequence[Any] = (),
            *, table: str = "element") -> list[tuple[Any, ...]]:
        """Rows of ``sql`` over the element view ``table`` (trusted SQL; still hardened)."""
        path = os.path.realpath(parquet_path)
        return self._request({"path": path, "table": table, "sql": sql,
                              "params": list(params)})[1]

    def execute(self, parquet_path: str | os.PathLike[str],
                plan: ExecutionPlan) -> ExecutionResult:
        """Run a plan; also reports the element's rows-per-identity maximum (cached per
        worker: element files are content-addressed and never change)."""
        path = os.path.realpath(parquet_path)
        reply = self._request({"path": path, "table": plan.table, "sql": plan.sql,
                               "params": list(plan.params), "profile_sql": plan.profile_sql})
        return ExecutionResult(reply[1], int(reply[2]))

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), []
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.process.join(2)
            if w.process.is_alive():
                w.kill()

    def __enter__(self) -> SandboxRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
