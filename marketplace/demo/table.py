"""Tables of generated rows and their serialisations (CSV per RFC 4180, JSON Lines).

A :class:`Table` is a column list plus a one-shot iterator of tuples, so a billion-row table
never sits in memory.  ``write_csv`` writes a header row then CRLF-terminated records in any
Python codec (``utf-8``, ``utf-8-sig``, ``gbk``, ``gb18030`` …); nulls are written as empty
fields.  ``write_jsonl`` writes one UTF-8 JSON object per line (RFC 8259 §8.1 requires UTF-8);
nulls are JSON ``null``.  Both return the number of bytes written and can stop once
``max_bytes`` is reached (checked every few hundred rows, so the result is "about" that size).
Encoding is strict: a character the codec cannot represent raises ``UnicodeEncodeError``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["Column", "DatasetSpec", "Table", "write_csv", "write_jsonl"]

_FLUSH_ROWS = 256

Row = tuple[Any, ...]
Target = str | os.PathLike[str] | IO[bytes]


@dataclass(frozen=True)
class Column:
    """A column: ASCII name, logical type, Chinese title, whether nulls occur."""

    name: str
    type: str  # string | integer | decimal | date | month | timestamp
    title: str
    nullable: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: ``rows(seed)`` yields an endless, deterministic stream of tuples."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[int], Iterator[Row]]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Table:
    """Column names and a one-shot iterator of row tuples (consume it once)."""

    columns: tuple[str, ...]
    rows: Iterator[Row]

    def dicts(self) -> Iterator[dict[str, Any]]:
        """The rows as dicts keyed by column name (consumes the iterator)."""
        cols = self.columns
        return (dict(zip(cols, row, strict=True)) for row in self.rows)


class _Sink:
    """Encodes text chunks incrementally (one BOM for utf-8-sig) and counts bytes."""

    def __init__(self, out: IO[bytes], encoding: str) -> None:
        self.out = out
        self.encoder = codecs.getincrementalencoder(encoding)("strict")
        self.written = 0

    def write(self, text: str, final: bool = False) -> None:
        data = self.encoder.encode(text, final)
        if data:
            self.out.write(data)
            self.written += len(data)


def _open(target: Target) -> tuple[IO[bytes], bool]:
    if isinstance(target, str | os.PathLike):
        return open(target, "wb"), True  # closed by the caller's finally
    return target, False


def write_csv(
    table: Table, target: Target, encoding: str = "utf-8", *, max_bytes: int | None = None
) -> int:
    """Write ``table`` as CSV (header + rows) to a path or binary file; return bytes written."""
    out, owned = _open(target)
    try:
        sink = _Sink(out, encoding)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(table.columns)
        pending = 0
        for row in table.rows:
            writer.writerow(row)
            pending += 1
            if pending >= _FLUSH_ROWS:
                sink.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
                pending = 0
                if max_bytes is not None and sink.written >= max_bytes:
                    break
        sink.write(buf.getvalue(), final=True)
        return sink.written
    finally:
        if owned:
            out.close()


def write_jsonl(table: Table, target: Target, *, max_bytes: int | None = None) -> int:
    """Write ``table`` as JSON Lines (UTF-8, one object per row); return bytes written."""
    out, owned = _open(target)
    try:
        sink = _Sink(out, "utf-8")
        cols = table.columns
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        lines: list[str] = []
        for row in table.rows:
            lines.append(dumps(dict(zip(cols, row, strict=True))))
            if len(lines) >= _FLUSH_ROWS:
                sink.write("\n".join(lines) + "\n")
                lines.clear()
                if max_bytes is not None and sink.written >= max_bytes:
                    break
        sink.write("\n".join(lines) + "\n" if lines else "", final=True)
        return sink.written
    finally:
        if owned:
            out.close()
