"""Which table format an upload is: CSV (RFC 4180), JSON Lines (jsonlines.org) or Apache Parquet.

Resolution order: the declared format (a short name or a media type), then the filename
extension, then the content: ``PAR1`` magic (Parquet file format spec, "File format"), a first
``{`` (JSON Lines), or text without NUL bytes containing a delimiter or a newline (CSV).
"""

from __future__ import annotations

from pathlib import PurePath

from marketplace.assets.encoding import BOM
from marketplace.errors import UnsupportedMediaType

__all__ = ["FORMATS", "PARQUET_MAGIC", "resolve_format", "sniff_format"]

FORMATS = ("csv", "jsonl", "parquet")
PARQUET_MAGIC = b"PAR1"

_DECLARED = {
    "csv": "csv", "text/csv": "csv",
    "jsonl": "jsonl", "ndjson": "jsonl", "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl", "application/x-jsonlines": "jsonl",
    "parquet": "parquet", "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_CSV_HINTS = (b",", b"\t", b";", b"|", b"\n")


def sniff_format(head: bytes) -> str | None:
    """Guess the format from the first bytes of a non-empty upload; None if unrecognised."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    text = head.removeprefix(BOM).lstrip(b" \t\r\n")
    if text.startswith(b"{"):
        return "jsonl"
    if not text or text.startswith(b"[") or b"\x00" in head:
        return None
    return "csv" if any(hint in head for hint in _CSV_HINTS) else None


def resolve_format(fmt: str | None, filename: str | None, head: bytes) -> str:
    """Return ``csv``, ``jsonl`` or ``parquet``; UnsupportedMediaType (415) if unknown."""
    if fmt:
        name = _DECLARED.get(fmt.split(";", 1)[0].strip().lower())
        if name is None:
            raise UnsupportedMediaType(
                "Unsupported file format; upload CSV, JSON Lines or Parquet.", format=fmt[:60])
        return name
    if filename:
        name = _EXTENSIONS.get(PurePath(filename.replace("\\", "/")).suffix.lower())
        if name is not None:
            return name
    name = sniff_format(head)
    if name is None:
        raise UnsupportedMediaType(
            "Could not recognise the file format; upload CSV, JSON Lines or Parquet.")
    return name
