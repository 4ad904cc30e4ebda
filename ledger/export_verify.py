"""Verifying a log export (:mod:`ledger.export`, ``elx-ledger-export/v1``) offline: RFC 9162
leaves and hash chain, C2SP tlog-checkpoint signed notes, C2SP signed-note keys.

The file is read strictly — known line types, exact fields, the order the format prescribes —
and streamed through :class:`ledger.walker.LogWalker`, so an export gets every check a database
gets except the stored subtree hashes it does not carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ledger.export import EXPORT_FIELDS, EXPORT_FORMAT
from ledger.note_keys import Verifier
from ledger.published_keys import parse_published
from ledger.walker import LogError, LogWalker, VerifyReport

__all__ = ["verify_export"]

_HEX = re.compile(r"[0-9a-f]{64}")


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
        if not isinstance(kind, str) or set(obj) != EXPORT_FIELDS.get(kind):
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
    batch: list[tuple[int, bytes, bytes, bytes]] = []
    while obj is not None and obj["type"] in ("entry", "checkpoint"):
        try:
            if obj["type"] == "entry":
                data, payload = obj["entry"].encode(), obj["payload"].encode()
                leaf = bytes.fromhex(_hex(obj, "leaf_hash"))
                batch.append((_int(obj, "index"), data, payload, leaf))
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
