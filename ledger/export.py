"""Log exports: the whole log as JSON Lines, verifiable without the database.

One JSON object per line, in this order (``elx-ledger-export/v1``)::

    {"type": "header", "format": "elx-ledger-export/v1", "origin": ORIGIN|null, "size": N}
    {"type": "key", "vkey": VKEY, "role": "log"|"witness", "status": ..., ...}   (0+ lines)
    {"type": "entry", "index": I, "entry": TEXT, "payload": TEXT, "leaf_hash": HEX}   (N lines)
    {"type": "checkpoint", "size": S, "root_hash": HEX, "note": SIGNED NOTE}  (after entry S-1)
    {"type": "end", "size": N, "checkpoints": C}

Entry and payload bytes are UTF-8 JSON, so they travel as JSON strings and come back byte for
byte. :func:`verify_export` streams the file through :class:`ledger.verify.LogWalker`, so an
export gets every check a database gets except the stored subtree hashes it does not carry.
Key dates and statuses are informational (nothing signs them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.note import Verifier
from ledger.store import checkpoints, keys, log_size
from ledger.verify import LogError, LogWalker, VerifyReport, parse_published, read_chunks

__all__ = ["EXPORT_FORMAT", "verify_export", "write_export"]

EXPORT_FORMAT = "elx-ledger-export/v1"
_HEX = re.compile(r"[0-9a-f]{64}")
_FIELDS = {
    "header": {"type", "format", "origin", "size"},
    "key": {"type", "vkey", "role", "status", "created_at", "retired_at"},
    "entry": {"type", "index", "entry", "payload", "leaf_hash"},
    "checkpoint": {"type", "size", "root_hash", "note"},
    "end": {"type", "size", "checkpoints"},
}


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def _when(value: Any) -> str | None:
    """RFC 3339 with an offset (SQLite hands back naive datetimes; everything stored is UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


def write_export(conn: Connection, out: TextIO, chunk: int = 50_000) -> tuple[int, int]:
    """Write the log behind ``conn`` to ``out``; returns (entries, checkpoints) written."""
    size = log_size(conn)
    first = conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size).limit(1)).scalar()
    origin = None if first is None else first.split("\n", 1)[0]
    out.write(_line({"type": "header", "format": EXPORT_FORMAT, "origin": origin, "size": size}))
    for row in conn.execute(select(keys).order_by(keys.c.created_at, keys.c.vkey)):
        dates = {"created_at": _when(row.created_at), "retired_at": _when(row.retired_at)}
        out.write(_line({"type": "key", "vkey": row.vkey, "role": row.role, "status": row.status}
                        | dates))
    written = 0
    for _, _, rows, signed in read_chunks(conn, 0, size, chunk):
        for index, data, payload, leaf in rows:
            try:
                line = {"type": "entry", "index": index, "entry": data.decode()}
                out.write(_line(line | {"payload": payload.decode(), "leaf_hash": leaf.hex()}))
                if index + 1 in signed:
                    root, note = signed[index + 1]
                    line = {"type": "checkpoint", "size": index + 1, "root_hash": root.hex()}
                    out.write(_line(line | {"note": note}))
                    written += 1
            except (AttributeError, UnicodeDecodeError) as exc:  # not bytes, or not UTF-8
                raise LogError(index, f"cannot export: {exc}; verify the database") from None
    out.write(_line({"type": "end", "size": size, "checkpoints": written}))
    return size, written


class _Reader:
    """Strict line parser: known types, exact fields, the order of the module docstring."""

    def __init__(self, lines: Iterable[str | bytes]) -> None:
        self.lines = enumerate(lines, start=1)
        self.number = 0
        self.at: int | None = None  # the entry index the next line should concern

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> dict[str, Any]:
        self.number, text = next(self.lines)
        try:
            obj = json.loads(text)
        except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes lines
            raise self.error(f"not JSON: {exc}") from None
        kind = obj.get("type") if isinstance(obj, dict) else None
        if not isinstance(kind, str) or set(obj) != _FIELDS.get(kind):
            raise self.error("unexpected line type or fields")
        return obj

    def error(self, problem: str) -> LogError:
        return LogError(self.at, f"export line {self.number}: {problem}")


def _int(obj: dict[str, Any], name: str) -> int:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


def _hex(obj: dict[str, Any], name: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{name} must be 64 lowercase hex digits")
    return value


def verify_export(
    lines: Iterable[str | bytes],
    trusted: Sequence[Verifier] | None = None,
    origin: str | None = None,
    chunk: int = 50_000,
) -> VerifyReport:
    """Verify an export (a file opened in binary or text mode, or its lines); LogError if bad."""
    reader = _Reader(lines)
    header = next(reader, None)
    if header is None or header["type"] != "header" or header["format"] != EXPORT_FORMAT:
        raise reader.error(f"the first line must be an {EXPORT_FORMAT} header")
    obj = next(reader, None)
    published_rows = []
    while obj is not None and obj["type"] == "key":
        published_rows.append((obj["vkey"], obj["role"]))
        obj = next(reader, None)
    walker = LogWalker(parse_published(published_rows), trusted, origin or header["origin"])
    batch: list[tuple[int, bytes, bytes, str]] = []
    while obj is not None and obj["type"] in ("entry", "checkpoint"):
        try:
            if obj["type"] == "entry":
                data, payload = obj["entry"].encode(), obj["payload"].encode()
                batch.append((_int(obj, "index"), data, payload, _hex(obj, "leaf_hash")))
            else:
                walker.entries(batch)
                batch = []
                root = bytes.fromhex(_hex(obj, "root_hash"))
                walker.checkpoint(_int(obj, "size"), root, obj["note"])
        except (ValueError, AttributeError, TypeError) as exc:
            raise reader.error(str(exc)) from None
        if len(batch) >= chunk:
            walker.entries(batch)
            batch = []
        reader.at = walker.size + len(batch)
        obj = next(reader, None)
    walker.entries(batch)
    if obj is None or obj["type"] != "end":
        raise reader.error("truncated: no end line here")
    counts = (header["size"], obj["size"], obj["checkpoints"])
    if counts != (walker.size, walker.size, walker.checkpoints):
        raise reader.error(f"header or end line does not describe {walker.size} entries")
    if next(reader, None) is not None:
        raise reader.error("text after the end line")
    if walker.size and walker.last_checkpoint != walker.size:
        raise LogError(walker.size - 1, "no signed checkpoint covers the newest entries")
    return walker.report(len(published_rows))
