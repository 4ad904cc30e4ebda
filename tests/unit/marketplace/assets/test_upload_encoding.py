"""marketplace.assets.encoding: labels, the streaming UTF-8 scan, incremental transcoding."""

from __future__ import annotations

import io
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.assets import encoding
from marketplace.assets.encoding import (
    BOM,
    DecodeFailure,
    Utf8Scan,
    canonical_encoding,
    line_of,
    transcode,
)
from marketplace.errors import UnsupportedMediaType


class ShortReads(io.RawIOBase):
    """A stream whose read(n) returns a random 1..n bytes, like a socket (seeded, reproducible)."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._data, self._pos, self._rng = data, 0, random.Random(seed)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = len(self._data)
        take = self._rng.randint(1, max(1, size))
        out = self._data[self._pos:self._pos + take]
        self._pos += len(out)
        return out


def _scan(data: bytes, cuts: list[int]) -> Utf8Scan:
    scan = Utf8Scan()
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for start, end in itertools.pairwise(bounds):
        scan.feed(data[start:end])
    scan.finish()
    return scan


def _first_utf8_error(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return None


# Han characters from the CJK Unified Ideographs block, plus ASCII that matters to CSV.
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
csvish = st.sampled_from(list("ab,1\n\"; "))
text = st.text(alphabet=st.one_of(cjk, csvish), max_size=200)


@pytest.mark.parametrize(("label", "name"), [
    ("UTF-8", "utf-8"), ("utf8", "utf-8"), (" utf-8-sig ", "utf-8-sig"), ("GB2312", "gbk"),
    ("cp936", "gbk"), ("x-gbk", "gbk"), ("GBK", "gbk"), ("GB18030", "gb18030"),
    ("gb_2312", "gbk"),
])
def test_whatwg_labels(label: str, name: str) -> None:
    assert canonical_encoding(label) == name


@pytest.mark.parametrize("label", ["latin-1", "utf-16", "big5", "ascii", "", "x" * 500])
def test_other_encodings_are_415(label: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        canonical_encoding(label)


@settings(max_examples=150)
@given(body=st.one_of(text.map(lambda s: s.encode("utf-8")),
                      text.map(lambda s: s.encode("gb18030")), st.binary(max_size=120)),
       cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_scan_finds_the_same_first_error_as_a_whole_decode(body: bytes, cuts: list[int]) -> None:
    scan = _scan(body, cuts)
    assert scan.invalid_at == _first_utf8_error(body)
    assert scan.nul_at == (body.index(b"\x00") if b"\x00" in body else None)
    assert scan.has_bom == body.startswith(BOM)


def test_scan_handles_a_character_across_its_internal_slices() -> None:
    # encoding._SLICE splits big chunks; put a 3-byte character across that boundary,
    # then an invalid byte right after it.
    body = b"a" * (encoding._SLICE - 1) + "中".encode() + b"\xff"
    scan = _scan(body, [])
    assert scan.invalid_at == encoding._SLICE + 2


def test_scan_reports_a_truncated_final_character() -> None:
    body = "表".encode()[:2]
    assert _scan(b"ok\n" + body, [4]).invalid_at == 3


def test_bom_split_across_chunks_is_seen() -> None:
    assert _scan(BOM + b"a,b\n", [1, 2]).has_bom


@settings(max_examples=150)
@given(source=text, codec=st.sampled_from(["gbk", "gb18030", "utf-8"]),
       seed=st.integers(), chunk=st.integers(min_value=1, max_value=64))
def test_transcoding_any_chunking_equals_a_whole_file_decode(source: str, codec: str,
                                                             seed: int, chunk: int) -> None:
    out = io.BytesIO()
    transcode(ShortReads(source.encode(codec), seed), codec, out, chunk_size=chunk)
    assert out.getvalue() == source.encode("utf-8")


@settings(max_examples=60)
@given(source=text, extra=st.sampled_from(["𠀀", "€", "𪚥"]), seed=st.integers())
def test_gb18030_only_characters_survive_transcoding(source: str, extra: str, seed: int) -> None:
    # 𠀀 (U+20000) and 𪚥 are four-byte GB18030 sequences; € is A2E3 in GB18030 and absent
    # from Python's GBK table, so GBK decoding of these bytes must fail.
    body = (source + extra + source).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")
    out = io.BytesIO()
    transcode(ShortReads(body, seed), "gb18030", out, chunk_size=7)
    assert out.getvalue().decode("utf-8") == source + extra + source


@settings(max_examples=100)
@given(prefix=text, seed=st.integers())
def test_transcode_failure_offset_is_the_first_bad_byte(prefix: str, seed: int) -> None:
    good = prefix.encode("gbk")
    body = good + b"\x80" + b"tail"  # 0x80 is not a GBK lead byte
    with pytest.raises(DecodeFailure) as info:
        transcode(ShortReads(body, seed), "gbk", io.BytesIO(), chunk_size=5)
    assert info.value.offset == len(good)


def test_transcode_reports_a_cut_off_final_character() -> None:
    body = "甲,乙\n".encode("gbk") + "丙".encode("gbk")[:1]
    with pytest.raises(DecodeFailure) as info:
        transcode(io.BytesIO(body), "gbk", io.BytesIO(), chunk_size=3)
    assert info.value.offset == len(body) - 1


@settings(max_examples=50)
@given(source=text, seed=st.integers())
def test_utf8_sig_copy_drops_only_the_bom(source: str, seed: int) -> None:
    out = io.BytesIO()
    transcode(ShortReads(BOM + source.encode(), seed), "utf-8-sig", out, chunk_size=2)
    assert out.getvalue() == source.encode()


@given(body=st.binary(max_size=300), offset=st.integers(min_value=0, max_value=300))
def test_line_of_counts_newlines_before_the_offset(body: bytes, offset: int) -> None:
    offset = min(offset, len(body))
    assert line_of(io.BytesIO(body), offset, chunk_size=7) == body[:offset].count(b"\n") + 1
