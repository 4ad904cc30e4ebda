"""The worker process of :class:`sandbox.runner.SandboxRunner` (issue 7 §5).

Runs in its own process (never the web process). Each element is opened once per worker into
its own in-memory DuckDB database, hardened in this order: no extension autoload/autoinstall,
no community or unsigned extensions, no extension repositories, no Python replacement scans,
no spilling (``temp_directory=''``), memory and thread limits; then the element's Parquet file
becomes the view ``table`` and ``allowed_paths`` admits exactly that file; then
``enable_external_access=false`` (no other file, URL, COPY, ATTACH, INSTALL/LOAD, secrets) and
``lock_configuration=true`` (no SET/RESET/PRAGMA can undo any of it). Every statement runs in a
transaction that is rolled back, so nothing a query might create survives it: the element is
read-only. A timer interrupts the connection at the wall-clock limit. Engine messages never
leave the process; the parent only learns "ok", "timeout" or "error".
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["harden", "serve"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def harden(path: str, table: str, settings: dict[str, Any]) -> Any:
    """A locked-down DuckDB connection where ``table`` is a view over the Parquet ``path``."""
    import duckdb

    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
              "allow_community_extensions": False, "allow_unsigned_extensions": False,
              "python_enable_replacements": False, "temp_directory": "",
              "threads": int(settings["threads"]), "memory_limit": str(settings["memory_limit"])}
    con = duckdb.connect(":memory:", config=config)
    quoted = '"' + table.replace('"', '""') + '"'
    view = f"CREATE VIEW {quoted} AS SELECT * FROM read_parquet({_literal(path)})"  # noqa: S608
    con.execute(view)
    con.execute(f"SET allowed_paths = [{_literal(path)}]")
    con.execute("SET disabled_filesystems = 'HTTPFileSystem,S3FileSystem'")
    con.execute("SET allow_extension_repositories = 'forbidden'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


class _Elements:
    """Hardened connections per (path, table), least recently used evicted."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.open: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.profiles: dict[tuple[str, str, str], int] = {}

    def get(self, path: str, table: str) -> Any:
        key = (path, table)
        if key not in self.open:
            if not os.path.isfile(path):
                raise FileNotFoundError("element file missing")
            self.open[key] = harden(path, table, self.settings)
            while len(self.open) > int(self.settings["max_open"]):
                self.open.popitem(last=False)[1].close()
        self.open.move_to_end(key)
        return self.open[key]


def _execute(con: Any, sql: str, params: Any, limit: int) -> list[tuple[Any, ...]]:
    con.begin()
    try:
        rows = con.execute(sql, list(params)).fetchmany(limit + 1)
    finally:
        con.rollback()
    if len(rows) > limit:
        raise OverflowError("too many rows")
    return rows


def _run(elements: _Elements, msg: dict[str, Any]) -> tuple[Any, ...]:
    import duckdb

    con = elements.get(msg["path"], msg["table"])
    timer = threading.Timer(msg["timeout"], con.interrupt)
    timer.start()
    try:
        profile = None
        if msg.get("profile_sql"):
            key = (msg["path"], msg["table"], msg["profile_sql"])
            if key not in elements.profiles:
                elements.profiles[key] = int(_execute(con, msg["profile_sql"], (), 1)[0][0])
            profile = elements.profiles[key]
        rows = _execute(con, msg["sql"], msg["params"], msg["max_rows"])
        return ("ok", rows, profile)
    except duckdb.InterruptException:
        return ("timeout",)
    except Exception:  # the engine's text may quote data: it is dropped here
        return ("error",)
    finally:
        timer.cancel()


def serve(conn: Connection, settings: dict[str, Any]) -> None:
    """Worker main loop: answer run requests until told to stop or the pipe closes."""
    import duckdb  # noqa: F401 — imported before "ready" so the first query is not charged

    elements = _Elements(settings)
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        conn.send(_run(elements, msg))
