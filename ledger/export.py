"""Log exports: the whole log as JSON Lines, verifiable without the database.

One JSON object per line, in this order (``elx-ledger-export/v1``)::

    {"type": "header", "format": "elx-ledger-export/v1", "origin": ORIGIN|null, "size": N}
    {"type": "key", "vkey": VKEY, "role": "log"|"witness", "status": ..., ...}   (0+ lines)
    {"type": "entry", "index": I, "entry": TEXT, "payload": TEXT, "leaf_hash": HEX}   (N lines)
    {"type": "checkpoint", "size": S, "root_hash": HEX, "note": SIGNED NOTE}  (after entry S-1)
    {"type": "end", "size": N, "checkpoints": C}

Entry and payload bytes are UTF-8 JSON, so they travel as JSON strings and come back byte for
byte. Entries are RFC 9162 leaves, checkpoints C2SP tlog-checkpoint signed notes, keys C2SP
signed-note vkeys. :func:`ledger.export_verify.verify_export` streams a file through
:class:`ledger.walker.LogWalker`, so an export gets every check a database gets except the
stored subtree hashes it does not carry. Key dates and statuses are informational (nothing
signs them).
"""

from __future__ import annotations

import itertools
import json
from contextlib import closing
from typing import Any, TextIO

from sqlalchemy.engine import Connection

from ledger.published_keys import list_published_keys
from ledger.queries import first_origin, log_size, read_chunks
from ledger.walker import LogError

__all__ = ["EXPORT_FIELDS", "EXPORT_FORMAT", "write_export"]

EXPORT_FORMAT = "elx-ledger-export/v1"
EXPORT_FIELDS = {
    "header": {"type", "format", "origin", "size"},
    "key": {"type", "vkey", "role", "status", "created_at", "retired_at"},
    "entry": {"type", "index", "entry", "payload", "leaf_hash"},
    "checkpoint": {"type", "size", "root_hash", "note"},
    "end": {"type", "size", "checkpoints"},
}


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_export(conn: Connection, out: TextIO, chunk: int = 50_000) -> tuple[int, int]:
    """Write the log behind ``conn`` to ``out``; returns (entries, checkpoints) written."""
    size = log_size(conn)
    origin = first_origin(conn)
    out.write(_line({"type": "header", "format": EXPORT_FORMAT, "origin": origin, "size": size}))
    for key in list_published_keys(conn):
        out.write(_line({"type": "key"} | key))
    written = 0
    for _, _, batches, signed in read_chunks(conn, 0, size, chunk):
        with closing(batches):  # a failure leaves no cursor open
            for index, data, payload, leaf in itertools.chain.from_iterable(batches):
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
