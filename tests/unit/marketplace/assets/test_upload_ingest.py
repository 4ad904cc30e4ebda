"""marketplace.assets.ingest end to end: encodings, limits, errors with lines, no leftovers."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.assets.encoding import BOM
from marketplace.assets.ingest import Column, IngestedFile, ingest, schema_digest
from marketplace.assets.receive import pump
from marketplace.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from marketplace.storage import BlobStore, LocalBlobStore, MemoryBlobStore

TEXT = "编号,名称,金额\n1,张三,1.5\n2,李四,2.5\n3,德阳㈠,3\n"  # ㈠ is A2E5 in GBK
GB18030_ONLY = "编号,名称,金额\n1,𠀀,1.5\n2,€,2.5\n"  # not encodable in GBK


class ShortReads(io.RawIOBase):
    """read(n) returns a random 1..n bytes, like a socket; seeded so failures replay."""

    def __init__(self, data: bytes, seed: int = 0) -> None:
        self._data, self._pos, self._rng = data, 0, random.Random(seed)

    def read(self, size: int = -1) -> bytes:
        take = self._rng.randint(1, max(1, size if size >= 0 else len(self._data)))
        out = self._data[self._pos:self._pos + take]
        self._pos += len(out)
        return out


class Broken(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        if self._data:
            out, self._data = self._data, b""
            return out
        raise OSError("connection reset")


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
    else:
        fake = MemoryBlobStore()
        yield fake
        fake.close()


def run(store: BlobStore, body: bytes, *, stream: io.RawIOBase | None = None,
        **kwargs: object) -> IngestedFile:
    options: dict[str, object] = {"fmt": None, "declared_encoding": None, "filename": None,
                                  "max_bytes": 1 << 20, "memory_limit": "64MB", "threads": 1}
    options.update(kwargs)
    return ingest(stream or io.BytesIO(body), store=store, **options)  # type: ignore[arg-type]


def blob(store: BlobStore, sha: str) -> bytes:
    with store.open(sha) as f:
        return f.read()


def nothing_left(store: BlobStore, before: frozenset[str] | set[str] = frozenset()) -> None:
    assert set(store.digests()) == set(before)
    if isinstance(store, LocalBlobStore):
        assert list(store.tmp_dir.iterdir()) == []


EXPECTED_COLUMNS = (Column("编号", "BIGINT"), Column("名称", "VARCHAR"), Column("金额", "DOUBLE"))


@pytest.mark.parametrize(("body", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gbk"),
    (GB18030_ONLY.encode("gb18030"), "gb18030"),
], ids=["utf-8", "utf-8-bom", "gbk", "gb18030"])
def test_detected_encodings_are_normalised_to_utf8(store: BlobStore, body: bytes,
                                                   encoding: str) -> None:
    result = run(store, body, filename="t.csv")
    text = GB18030_ONLY if encoding == "gb18030" else TEXT
    assert (result.encoding, result.encoding_source, result.format) == (encoding, "detected",
                                                                        "csv")
    assert result.sha256 == hashlib.sha256(body).hexdigest() and result.size == len(body)
    assert blob(store, result.sha256) == body
    assert blob(store, result.normalized_sha256) == text.encode("utf-8")
    assert (result.normalized_sha256 == result.sha256) == (encoding == "utf-8")
    assert result.columns == EXPECTED_COLUMNS
    assert result.row_count == text.count("\n") - 1
    assert result.schema_digest == schema_digest(result.columns)


@pytest.mark.parametrize(("label", "encoding"), [("GB2312", "gbk"), ("gb18030", "gb18030")])
def test_declared_encoding_is_used(store: BlobStore, label: str, encoding: str) -> None:
    result = run(store, TEXT.encode(encoding), declared_encoding=label)
    assert (result.encoding, result.encoding_source) == (encoding, "declared")
    assert blob(store, result.normalized_sha256) == TEXT.encode()


def test_declared_utf8_with_a_bom_is_utf8_sig_and_the_bom_is_dropped(store: BlobStore) -> None:
    result = run(store, b"\xef\xbb\xbf" + TEXT.encode(), declared_encoding="utf-8")
    assert (result.encoding, result.encoding_source) == ("utf-8-sig", "declared")
    assert blob(store, result.normalized_sha256) == TEXT.encode()
    assert result.columns == EXPECTED_COLUMNS  # the first name is not "\ufeff编号"


def test_gbk_declared_as_utf8_names_the_first_bad_line_and_byte(store: BlobStore) -> None:
    head = b"id,name\n1,plain\n2,ascii\n"
    body = head + "3,张三\n4,李四\n".encode("gbk")
    with pytest.raises(ValidationFailed) as info:
        run(store, body, declared_encoding="utf-8")
    assert info.value.extra == {"line": 4, "offset": len(head) + 2}
    assert "Line 4" in info.value.detail and "UTF-8" in info.value.detail
    nothing_left(store)


def test_utf8_declared_as_gbk_fails_where_gbk_breaks(store: BlobStore) -> None:
    body = b"id,name\n1,x\n" + "2,名\n".encode()  # 名 = E5 90 8D in UTF-8
    # GBK reads E5 90 as one character, then 8D followed by "\n" is not a valid pair.
    with pytest.raises(ValidationFailed) as info:
        run(store, body, declared_encoding="gbk")
    assert info.value.extra == {"line": 3, "offset": len("id,name\n1,x\n2,") + 2}
    assert "GBK" in info.value.detail
    nothing_left(store)


def test_text_in_no_supported_encoding_is_422(store: BlobStore) -> None:
    body = b"a,b\n1,\xff\xfe\n"
    with pytest.raises(ValidationFailed) as info:
        run(store, body, fmt="csv")
    assert info.value.extra["line"] == 2
    nothing_left(store)


@pytest.mark.parametrize("body", [b"\x00\x01\x02\x03binary", bytes(range(256)) * 8],
                         ids=["nul", "all-bytes"])
def test_binary_garbage_is_422(store: BlobStore, body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        run(store, body, fmt="csv")
    nothing_left(store)


def test_ragged_row_in_a_transcoded_file_removes_both_blobs(store: BlobStore) -> None:
    body = ("编号,名称\n" + "".join(f"{i},名{i}\n" for i in range(40)) + "99\n").encode("gbk")
    with pytest.raises(ValidationFailed) as info:
        run(store, body)
    assert info.value.extra["line"] == 42
    nothing_left(store)


def test_blobs_that_existed_before_a_failed_attempt_are_kept(store: BlobStore) -> None:
    text = "编号,名称\n1,a\n2\n"  # ragged
    with store.writer(1000) as w:  # stored earlier, e.g. by another asset version
        w.write(text.encode())
        existing = {w.commit().sha256}
    with pytest.raises(ValidationFailed):
        run(store, text.encode("gbk"))  # its normalised copy is the stored UTF-8 blob
    with pytest.raises(ValidationFailed):
        run(store, text.encode())  # the very same bytes
    nothing_left(store, existing)


@pytest.mark.parametrize("limit", [1, 10, len(TEXT.encode()) - 1])
def test_oversize_is_413_and_leaves_nothing(store: BlobStore, limit: int) -> None:
    with pytest.raises(PayloadTooLarge):
        run(store, TEXT.encode(), stream=ShortReads(TEXT.encode(), 3), max_bytes=limit)
    nothing_left(store)


def test_exactly_the_limit_is_accepted(store: BlobStore) -> None:
    body = TEXT.encode()
    assert run(store, body, max_bytes=len(body)).size == len(body)


def test_oversize_big_upload_streams_and_stops(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    body = b"id,n\n" + b"1,2\n" * (3 << 20)  # 12 MiB, several chunks
    with pytest.raises(PayloadTooLarge):
        run(store, body, max_bytes=5 << 20)
    nothing_left(store)


def test_declared_length_larger_than_the_limit_fails_before_reading(store: BlobStore) -> None:
    class Untouchable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("must not read")

    with pytest.raises(PayloadTooLarge):
        run(store, b"", stream=Untouchable(), expected_size=2 << 20)


def test_truncated_or_broken_body_is_400(store: BlobStore) -> None:
    body = TEXT.encode()
    with pytest.raises(BadRequest):
        run(store, body, expected_size=len(body) + 10)
    with pytest.raises(BadRequest):
        run(store, body, stream=Broken(body))
    nothing_left(store)


@pytest.mark.parametrize(("body", "words"), [
    (b"", "empty"), (b"id,name\n", "no data rows"), (b"id,ID\n1,2\n", "used twice"),
    (b"a,,c\n1,2,3\n", "empty name"),
], ids=["empty", "header-only", "duplicate", "blank-name"])
def test_structural_problems_are_clear_422s(store: BlobStore, body: bytes, words: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        run(store, body, filename="x.csv")
    assert words in info.value.detail
    nothing_left(store)


def test_reingesting_the_same_bytes_is_idempotent(store: BlobStore) -> None:
    body = TEXT.encode("gbk")
    first = run(store, body)
    second = run(store, body, stream=ShortReads(body, 9))
    assert first == second
    assert set(store.digests()) == {first.sha256, first.normalized_sha256}


def test_jsonl_and_parquet(store: BlobStore, tmp_path: Path) -> None:
    lines = "".join(f'{{"id": {i}, "城市": "德阳", "v": {i / 2}}}\n' for i in range(25))
    result = run(store, lines.encode(), filename="x.ndjson")
    assert (result.format, result.encoding, result.row_count) == ("jsonl", "utf-8", 25)
    assert result.columns == (Column("id", "BIGINT"), Column("城市", "VARCHAR"),
                              Column("v", "DOUBLE"))
    assert result.normalized_sha256 == result.sha256

    path = tmp_path / "p.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT range AS n, range::VARCHAR AS s FROM range(77)) "
                    f"TO '{path}' (FORMAT parquet)")
    data = path.read_bytes()
    result = run(store, data, stream=ShortReads(data, 5), declared_encoding="gbk")
    assert (result.format, result.encoding, result.encoding_source) == ("parquet", None, None)
    assert result.columns == (Column("n", "BIGINT"), Column("s", "VARCHAR"))
    assert result.row_count == 77 and result.normalized_sha256 == result.sha256


def test_jsonl_must_be_utf8(store: BlobStore) -> None:
    body = '{"名": 1}\n'.encode("gbk")
    with pytest.raises(UnsupportedMediaType):
        run(store, body, fmt="jsonl", declared_encoding="gbk")
    with pytest.raises(ValidationFailed) as info:
        run(store, body, fmt="jsonl")
    assert info.value.extra["line"] == 1
    nothing_left(store)


def test_unknown_format_is_415(store: BlobStore) -> None:
    with pytest.raises(UnsupportedMediaType):
        run(store, b"PK\x03\x04\x14\x00\x00\x00", filename="book.xlsx")
    nothing_left(store)


def test_schema_digest_is_sha256_of_jcs_columns() -> None:
    # RFC 8785: object keys sorted, no whitespace, UTF-8 output (non-ASCII not escaped).
    columns = (Column("金额", "DOUBLE"), Column("a", "BIGINT"))
    jcs = '[{"name":"金额","type":"DOUBLE"},{"name":"a","type":"BIGINT"}]'.encode()
    assert schema_digest(columns) == hashlib.sha256(jcs).hexdigest()
    assert schema_digest(columns[::-1]) != schema_digest(columns)


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
cell = st.text(alphabet=st.one_of(cjk, st.sampled_from("ab1 ")), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(cell, cell), min_size=1, max_size=30),
       codec=st.sampled_from(["gbk", "gb18030", "utf-8"]), seed=st.integers())
def test_any_chinese_text_in_any_chunking_normalises_exactly(
        store: BlobStore, cells: list[tuple[str, str]], codec: str, seed: int) -> None:
    text = "甲,乙\n" + "".join(f"{a.strip() or 'x'},{b.strip() or 'y'}\n" for a, b in cells)
    body = text.encode(codec)
    result = run(store, body, stream=ShortReads(body, seed), declared_encoding=codec)
    assert blob(store, result.normalized_sha256) == text.encode("utf-8")
    assert result.row_count == len(cells)


# Far beyond the first chunks, and in any column: DuckDB's strict count(*) checks the UTF-8 of the
# first column only (checked with duckdb 2.0), so ingest must not rely on it to find these bytes.
FAR = 3 << 20


def _far_body(tail: bytes, column: int = 1, name: str = "名") -> tuple[bytes, int, int]:
    """A UTF-8 CSV whose row after FAR bytes has ``tail`` in ``column``: body, offset, line."""
    rows = "".join(f"{i},{name}{i},{i}.5\n" for i in range(FAR // 16))
    head = (f"id,{name},amount\n" + rows).encode()
    assert len(head) > FAR
    fields = [b"7", b"x", b"1.5"]
    fields[column] += tail
    body = head + b",".join(fields) + b"\n" + rows[:2000].rsplit("\n", 1)[0].encode() + b"\n"
    offset = len(head) + sum(len(f) + 1 for f in fields[:column]) + len(fields[column]) - len(tail)
    return body, offset, head.count(b"\n") + 1


@pytest.mark.parametrize("column", [0, 1, 2])
def test_far_invalid_utf8_declared_utf8_names_its_line_and_byte(store: BlobStore,
                                                               column: int) -> None:
    body, offset, line = _far_body("张三".encode("gbk"), column)
    with pytest.raises(ValidationFailed) as info:
        run(store, body, declared_encoding="utf-8", max_bytes=len(body))
    assert info.value.extra == {"line": line, "offset": offset}
    assert f"Line {line}" in info.value.detail and "UTF-8" in info.value.detail
    nothing_left(store)


def test_far_gbk_bytes_undeclared_are_detected_as_gbk(store: BlobStore) -> None:
    body, _, _ = _far_body("张三".encode("gbk"), 1, name="n")  # ASCII, then GBK at 3 MiB
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    result = run(store, body, filename="t.csv", max_bytes=len(body))
    assert (result.encoding, result.encoding_source) == ("gbk", "detected")
    assert blob(store, result.normalized_sha256) == body.decode("gbk").encode("utf-8")
    assert blob(store, result.sha256) == body
    assert result.row_count == body.count(b"\n") - 1


def test_far_bytes_in_no_supported_encoding_are_422(store: BlobStore) -> None:
    body, offset, line = _far_body(b"\xff", 2, name="n")  # 0xFF: not GBK, not GB18030
    with pytest.raises(ValidationFailed) as info:
        run(store, body, max_bytes=len(body))
    assert info.value.extra == {"line": line, "offset": offset}
    nothing_left(store)


def test_far_invalid_utf8_after_a_bom_is_422(store: BlobStore) -> None:
    body, offset, line = _far_body(b"\xe5\x90", 1)
    with pytest.raises(ValidationFailed) as info:
        run(store, BOM + body, max_bytes=len(body) + 3)
    assert info.value.extra == {"line": line, "offset": offset + 3}
    nothing_left(store)


def test_far_invalid_utf8_in_json_lines_is_422(store: BlobStore) -> None:
    lines = b"".join(b'{"id": %d, "name": "\xe5\x90\x8d"}\n' % i for i in range(FAR // 28))
    body = lines + b'{"id": 1, "name": "\xff"}\n'
    with pytest.raises(ValidationFailed) as info:
        run(store, body, fmt="jsonl", max_bytes=len(body))
    assert info.value.extra == {"line": lines.count(b"\n") + 1, "offset": body.index(b"\xff")}
    nothing_left(store)


def test_a_far_structural_error_in_valid_utf8_is_reported_as_is(store: BlobStore) -> None:
    body, _, line = _far_body(b",extra", 2)  # valid UTF-8: DuckDB's own error stands
    with pytest.raises(ValidationFailed) as info:
        run(store, body, max_bytes=len(body))
    assert info.value.extra == {"line": line} and "4 fields" in info.value.detail
    nothing_left(store)


def test_a_large_valid_utf8_file_is_not_copied(store: BlobStore) -> None:
    body, _, _ = _far_body("名".encode(), 1)
    result = run(store, body, max_bytes=len(body))
    assert (result.encoding, result.normalized_sha256) == ("utf-8", result.sha256)
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert blob(store, result.sha256) == body


def test_pump_checks_and_stores_every_chunk_in_order(store: BlobStore) -> None:
    data = bytes(range(256)) * 20_000  # ~5 MiB: several 1 MiB chunks, cut by short reads
    seen: list[bytes] = []
    with store.writer(len(data)) as w:
        size = pump(ShortReads(data[100:], seed=3), w, head=data[:100], max_bytes=len(data),
                    check=seen.append)
        ref = w.commit()
    assert size == len(data) and b"".join(seen) == data
    assert ref.sha256 == hashlib.sha256(data).hexdigest()


def test_pump_reraises_an_error_of_the_check(store: BlobStore) -> None:
    def check(chunk: bytes) -> None:
        raise ValueError("bad chunk")

    with pytest.raises(ValueError, match="bad chunk"), store.writer(1 << 20) as w:
        pump(io.BytesIO(b"b" * 1000), w, head=b"a" * 10, max_bytes=1 << 20, check=check)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_file_that_needs_more_than_the_upload_memory_limit_is_422(store: BlobStore,
                                                                    fmt: str) -> None:
    # Lines far larger than DuckDB's allowance: a clear 422 (not a 500), and nothing stored.
    value = "长" * 300_000
    body = (f"a,b\n1,{value}\n2,{value}\n" if fmt == "csv" else
            f'{{"a": 1, "b": "{value}"}}\n{{"a": 2, "b": "{value}"}}\n').encode()
    limit = {"csv_memory_limit" if fmt == "csv" else "memory_limit": "1MB"}
    with pytest.raises(ValidationFailed) as caught:
        run(store, body, fmt=fmt, max_bytes=4 << 20, **limit)
    assert "memory limit" in caught.value.detail
    nothing_left(store)
