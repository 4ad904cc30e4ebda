"""marketplace.assets.formats: declared format, then extension, then content sniffing."""

from __future__ import annotations

import pytest

from marketplace.assets.formats import resolve_format, sniff_format
from marketplace.errors import UnsupportedMediaType

PARQUET_HEAD = b"PAR1\x15\x04\x15"  # a Parquet file starts with the 4-byte magic "PAR1"


@pytest.mark.parametrize(("fmt", "expected"), [
    ("csv", "csv"), ("CSV", "csv"), ("text/csv; charset=gbk", "csv"), ("jsonl", "jsonl"),
    ("application/x-ndjson", "jsonl"), ("parquet", "parquet"),
    ("application/vnd.apache.parquet", "parquet"),
])
def test_declared_format_wins_over_name_and_content(fmt: str, expected: str) -> None:
    assert resolve_format(fmt, "data.parquet" if expected != "parquet" else "x.csv",
                          b"{" if expected != "jsonl" else PARQUET_HEAD) == expected


@pytest.mark.parametrize("fmt", ["xlsx", "application/json", "text/plain", "json"])
def test_unknown_declared_format_is_415(fmt: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        resolve_format(fmt, "a.csv", b"a,b\n")


@pytest.mark.parametrize(("name", "expected"), [
    ("A.CSV", "csv"), ("dir/x.jsonl", "jsonl"), ("x.ndjson", "jsonl"), ("C:\\up\\t.parquet",
                                                                         "parquet"),
])
def test_extension_is_used_when_no_format_is_declared(name: str, expected: str) -> None:
    assert resolve_format(None, name, b"\x00\x01 whatever") == expected


@pytest.mark.parametrize(("head", "expected"), [
    (PARQUET_HEAD, "parquet"),
    (b'{"a": 1}\n', "jsonl"),
    (b'\xef\xbb\xbf \n{"a": 1}\n', "jsonl"),
    (b"a,b\n1,2\n", "csv"),
    ("名称\t金额\n".encode("gbk"), "csv"),
    (b"single line no delimiter", None),
    (b"[1, 2, 3]", None),
    (b"PK\x03\x04\x14\x00\x00\x00", None),  # a ZIP (e.g. .xlsx) local file header
    (b"a,b\x00\n", None),
    (b"   \n\t", None),
])
def test_sniffing(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def test_unknown_extension_falls_back_to_sniffing_then_415() -> None:
    assert resolve_format(None, "export.txt", b"a;b\n1;2\n") == "csv"
    with pytest.raises(UnsupportedMediaType):
        resolve_format(None, "book.xlsx", b"PK\x03\x04\x14\x00\x00\x00")
