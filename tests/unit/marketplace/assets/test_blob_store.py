"""Contract test for marketplace.storage: one suite, run against LocalBlobStore and the fake.

(Kept next to the upload tests because this directory is where ingestion is tested; it tests
marketplace/storage.py.)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import PayloadTooLarge
from marketplace.storage import (
    BlobNotFound,
    BlobRef,
    BlobStore,
    InvalidDigest,
    LocalBlobStore,
    MemoryBlobStore,
    check_digest,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
    else:
        fake = MemoryBlobStore()
        yield fake
        fake.close()


def _put(store: BlobStore, *chunks: bytes, max_bytes: int = 1 << 20) -> tuple[BlobRef, bool]:
    with store.writer(max_bytes) as w:
        for chunk in chunks:
            w.write(chunk)
        ref = w.commit()
        return ref, w.created


def test_write_commit_read_back(store: BlobStore) -> None:
    ref, created = _put(store, b"id,name\n", "1,张三\n".encode(), b"")
    data = "id,name\n1,张三\n".encode()
    assert ref == BlobRef(_sha(data), len(data))
    assert created
    with store.open(ref.sha256) as f:
        assert f.read() == data
    assert store.local_path(ref.sha256).read_bytes() == data
    assert store.exists(ref.sha256)
    assert store.size(ref.sha256) == len(data)
    assert list(store.digests()) == [ref.sha256]


def test_empty_blob_is_the_sha256_of_nothing(store: BlobStore) -> None:
    ref, _ = _put(store)
    # FIPS 180-4 / NIST example: SHA-256 of the empty string.
    assert ref.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert ref.size == 0


def test_same_content_twice_is_stored_once(store: BlobStore) -> None:
    first, created_first = _put(store, b"abc")
    second, created_second = _put(store, b"a", b"bc")
    assert first == second
    assert (created_first, created_second) == (True, False)
    assert list(store.digests()) == [first.sha256]


def test_delete(store: BlobStore) -> None:
    ref, _ = _put(store, b"gone soon")
    assert store.delete(ref.sha256) is True
    assert store.delete(ref.sha256) is False
    assert not store.exists(ref.sha256)
    for op in (store.open, store.local_path, store.size):
        with pytest.raises(BlobNotFound):
            op(ref.sha256)


def test_over_the_limit_raises_413_and_keeps_nothing(store: BlobStore) -> None:
    with store.writer(5) as w:
        w.write(b"12345")  # exactly the limit is fine
        with pytest.raises(PayloadTooLarge) as info:
            w.write(b"6")
        with pytest.raises(ValueError):
            w.write(b"")  # the writer is dead
    assert info.value.status == 413
    assert list(store.digests()) == []


def test_exception_or_no_commit_keeps_nothing(store: BlobStore) -> None:
    with pytest.raises(RuntimeError), store.writer(100) as w:
        w.write(b"partial")
        raise RuntimeError("client went away")
    with store.writer(100) as w:
        w.write(b"never committed")
    assert list(store.digests()) == []


def test_staged_path_shows_bytes_written_so_far(store: BlobStore) -> None:
    with store.writer(100) as w:
        w.write(b"abc")
        assert w.staged_path().read_bytes() == b"abc"
        w.write(b"def")
        assert w.staged_path().read_bytes() == b"abcdef"
        ref = w.commit()
    assert store.local_path(ref.sha256).read_bytes() == b"abcdef"


BAD_DIGESTS = ["../" * 21 + "x", "/etc/passwd", "A" * 64, "a" * 63, "a" * 65, "g" * 64,
               "a" * 64 + "\n", "a" * 62 + "/a", "..", "", " " + "a" * 63]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_malformed_digests_are_rejected_by_every_operation(store: BlobStore, digest: str) -> None:
    for op in (store.open, store.local_path, store.exists, store.size, store.delete):
        with pytest.raises(InvalidDigest):
            op(digest)


def test_check_digest_rejects_non_strings() -> None:
    for value in (None, 7, b"a" * 64):
        with pytest.raises(InvalidDigest):
            check_digest(value)
    assert check_digest("0f" * 32) == "0f" * 32


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.binary(max_size=300), max_size=8))
def test_digest_and_size_match_hashlib_for_any_chunking(store: BlobStore,
                                                        chunks: list[bytes]) -> None:
    ref, _ = _put(store, *chunks)
    data = b"".join(chunks)
    assert ref == BlobRef(_sha(data), len(data))
    with store.open(ref.sha256) as f:
        assert f.read() == data


# LocalBlobStore specifics: layout, staging directory, concurrent publishers.

def test_local_layout_and_clean_staging(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref, _ = _put(store, b"layout")
    sha = ref.sha256
    assert store.local_path(sha) == tmp_path / sha[:2] / sha[2:4] / sha
    assert list((tmp_path / "tmp").iterdir()) == []


def test_local_oversize_and_abort_leave_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with store.writer(3) as w:
        w.write(b"abc")
        assert len(list((tmp_path / "tmp").iterdir())) == 1  # staged on the same filesystem
        with pytest.raises(PayloadTooLarge):
            w.write(b"d")
        assert list((tmp_path / "tmp").iterdir()) == []  # deleted at once, not at exit
    with pytest.raises(KeyError), store.writer(10) as w:
        w.write(b"x")
        raise KeyError("boom")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list(store.digests()) == []


def test_local_digests_ignores_stray_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    ref, _ = _put(store, b"real")
    (tmp_path / "ab" / "cd").mkdir(parents=True)
    (tmp_path / "ab" / "cd" / ("ef" * 32)).write_bytes(b"misplaced")
    assert list(store.digests()) == [ref.sha256]


def test_local_concurrent_publishers_exactly_one_creates(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def publish() -> None:
        with store.writer(100) as w:
            w.write(b"same bytes")
            barrier.wait()
            w.commit()
            results.append(w.created)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert store.local_path(_sha(b"same bytes")).read_bytes() == b"same bytes"


def test_large_chunks_from_a_reused_buffer_are_stored_as_they_were(store: BlobStore) -> None:
    # A view into a buffer the caller overwrites after write() returns must be stored as it was
    # when written (a writer that stages later, e.g. on another thread, has to copy it).
    buffer = bytearray(256 << 10)
    expected = b""
    with store.writer(4 << 20) as w:
        for fill in range(6):
            buffer[:] = bytes([fill]) * len(buffer)
            w.write(memoryview(buffer))
            expected += bytes(buffer)
            if fill == 2:
                assert w.staged_path().read_bytes() == expected  # every queued write landed
        ref = w.commit()
    assert ref == BlobRef(_sha(expected), len(expected))
    with store.open(ref.sha256) as f:
        assert f.read() == expected


def test_local_abort_after_large_writes_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(RuntimeError), store.writer(8 << 20) as w:
        for _ in range(8):
            w.write(b"x" * (512 << 10))
        raise RuntimeError("client went away")
    assert list(store.tmp_dir.iterdir()) == [] and list(store.digests()) == []


def test_local_disk_full_while_staging_fails_the_upload_and_keeps_nothing(
        tmp_path: Path) -> None:
    # The staged file is written on a thread: a write that fails there (ENOSPC) must still fail
    # the upload — on a later write() or at commit() — and never publish a blob.
    import errno

    store = LocalBlobStore(tmp_path)
    with pytest.raises(OSError) as caught, store.writer(8 << 20) as w:
        real_write = w._file.write  # type: ignore[attr-defined]
        written = []

        def failing(chunk: bytes) -> int:
            if written:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(len(chunk))
            return real_write(chunk)

        w._file.write = failing  # type: ignore[attr-defined]
        for _ in range(3):
            w.write(b"y" * (256 << 10))
        w.commit()
    assert caught.value.errno == errno.ENOSPC
    assert list(store.tmp_dir.iterdir()) == [] and list(store.digests()) == []
