"""Content-addressed blob store (DESIGN.md "Storage and engines": raw bytes under ``var/blobs/``).

A blob is named by the lowercase hex SHA-256 (FIPS 180-4) of its bytes, so equal content is stored
once and a name can never point at other bytes. :class:`BlobStore` is the small interface services
use; :class:`LocalBlobStore` keeps files in a directory (``root/ab/cd/abcd…``, staging under
``root/tmp`` on the same filesystem, fsync then an atomic hard link to publish) and
:class:`MemoryBlobStore` is the in-package fake. Both pass the same contract test.

Writing is streaming: ``with store.writer(max_bytes) as w: w.write(chunk); ref = w.commit()``.
Going over ``max_bytes`` raises :class:`PayloadTooLarge` and discards the staged bytes at once;
leaving the block without ``commit()`` (or by an exception) discards them too.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from marketplace.errors import PayloadTooLarge

__all__ = ["BlobNotFound", "BlobRef", "BlobStore", "BlobWriter", "ChunkFeeder",
           "InvalidDigest", "LocalBlobStore", "MemoryBlobStore", "check_digest", "too_large"]

_DIGEST = re.compile(r"[0-9a-f]{64}")


class InvalidDigest(ValueError):
    """Not a lowercase hex SHA-256 digest (64 characters of 0-9a-f)."""


class BlobNotFound(LookupError):
    """No blob with this digest is stored."""


@dataclass(frozen=True)
class BlobRef:
    """A stored blob: its SHA-256 (lowercase hex) and its size in bytes."""

    sha256: str
    size: int


def check_digest(sha256: object) -> str:
    """Return ``sha256`` if it is exactly 64 lowercase hex digits, else raise InvalidDigest.

    This is the only gate between a caller-supplied name and a filesystem path.
    """
    if not isinstance(sha256, str) or _DIGEST.fullmatch(sha256) is None:
        raise InvalidDigest("a blob digest is 64 lowercase hexadecimal characters")
    return sha256


class BlobWriter(Protocol):
    """One streaming write; a context manager that discards uncommitted bytes on exit."""

    created: bool  # after commit(): True if this writer published a blob that was not stored yet

    def write(self, chunk: bytes | memoryview) -> None: ...
    def commit(self) -> BlobRef: ...
    def staged_path(self) -> Path: ...
    def __enter__(self) -> BlobWriter: ...
    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class BlobStore(Protocol):
    """The blob-store interface; digests are validated with :func:`check_digest`."""

    def writer(self, max_bytes: int) -> BlobWriter: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def local_path(self, sha256: str) -> Path: ...
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int: ...
    def delete(self, sha256: str) -> bool: ...
    def digests(self) -> Iterator[str]: ...


def too_large(max_bytes: int) -> PayloadTooLarge:
    """The 413 for a body over ``max_bytes``."""
    return PayloadTooLarge(f"The upload exceeds the limit of {max_bytes} bytes.", limit=max_bytes)


class _Writer:
    """Shared writer logic: size limit, hashing, state; subclasses stage and publish bytes."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = max_bytes
        self.created = False
        self._hash = hashlib.sha256()
        self._size = 0
        self._ref: BlobRef | None = None
        self._closed = False

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def write(self, chunk: bytes | memoryview) -> None:
        """Append ``chunk``; over ``max_bytes`` the staged bytes are discarded and 413 raised."""
        if self._closed or self._ref is not None:
            raise ValueError("writer is closed or already committed")
        n = len(chunk)
        if self._size + n > self.max_bytes:
            self.close()
            raise too_large(self.max_bytes)
        self._hash.update(chunk)
        self._stage(chunk)
        self._size += n

    def commit(self) -> BlobRef:
        """Publish the staged bytes under their digest (idempotent if already stored)."""
        if self._closed:
            raise ValueError("writer is closed")
        if self._ref is None:
            ref = BlobRef(self._hash.hexdigest(), self._size)
            self.created = self._publish(ref)
            self._ref = ref
        return self._ref

    def close(self) -> None:
        """Discard whatever is still staged; the writer can no longer be used."""
        if not self._closed:
            self._closed = True
            self._discard()

    def _stage(self, chunk: bytes | memoryview) -> None:
        raise NotImplementedError

    def _publish(self, ref: BlobRef) -> bool:
        raise NotImplementedError

    def _discard(self) -> None:
        raise NotImplementedError


class ChunkFeeder:
    """Hands chunks to ``sink`` on a worker thread, so the caller's own work on the next chunk
    (reading, checking, hashing: all release the GIL) overlaps the sink's. At most ``QUEUED``
    chunks wait; an error of the sink is raised by the next ``put`` or ``drain``. As a context
    manager it drains on exit, raising the sink's error only if nothing else is in flight."""

    QUEUED = 4

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        self._sink = sink
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self.QUEUED)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sink(chunk)
                except BaseException as err:  # re-raised on the caller's next call
                    self._error = err

    def put(self, chunk: bytes | memoryview) -> None:
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chunk-feeder", daemon=True)
            self._thread.start()
        # A memoryview may be reused by the caller once this returns: keep a copy.
        self._queue.put(chunk if isinstance(chunk, bytes) else bytes(chunk))

    def drain(self) -> None:
        """Wait until the sink has taken every chunk (the thread ends; ``put`` starts another)."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """Wait for the chunks already queued; a sink error is kept for ``drain``, not raised."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> ChunkFeeder:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        if et is None:
            self._raise()


class _LocalWriter(_Writer):
    def __init__(self, store: LocalBlobStore, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self._store = store
        fd, name = tempfile.mkstemp(prefix="upload-", dir=store.tmp_dir)
        self._path = Path(name)
        self._file = os.fdopen(fd, "wb")
        # Copying into the page cache overlaps hashing the next chunk: on 2 cores a 1 GiB
        # upload's staging takes the hashing time, not hashing + copying.
        self._feeder = ChunkFeeder(self._copy)

    def _stage(self, chunk: bytes | memoryview) -> None:
        self._feeder.put(chunk)

    def _copy(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def staged_path(self) -> Path:
        """A readable file with the bytes written so far; valid until the writer closes."""
        if self._closed:
            raise ValueError("writer is closed")
        self._feeder.drain()
        self._file.flush()
        return self._path

    def _publish(self, ref: BlobRef) -> bool:
        self._feeder.drain()
        self._file.flush()
        os.fsync(self._file.fileno())
        final = self._store._path(ref.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self._path, final)  # atomic create-if-absent, unlike os.replace
        except FileExistsError:
            return False
        _fsync_dir(final.parent)
        return True

    def _discard(self) -> None:
        self._feeder.stop()  # the staged bytes are thrown away: a failed write does not matter
        self._file.close()
        self._path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files ``root/sha[:2]/sha[2:4]/sha``; staging in ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        sha = check_digest(sha256)
        return self.root / sha[:2] / sha[2:4] / sha

    def writer(self, max_bytes: int) -> _LocalWriter:
        return _LocalWriter(self, max_bytes)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._path(sha256), "rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def local_path(self, sha256: str) -> Path:
        path = self._path(sha256)
        if not path.is_file():
            raise BlobNotFound(sha256)
        return path

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def delete(self, sha256: str) -> bool:
        try:
            self._path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def digests(self) -> Iterator[str]:
        for path in self.root.glob("??/??/*"):
            name = path.name
            if _DIGEST.fullmatch(name) and path.parent.parent.name + path.parent.name == name[:4]:
                yield name


class _MemoryWriter(_Writer):
    def __init__(self, store: MemoryBlobStore, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self._store = store
        self._buffer = io.BytesIO()
        self._staged: Path | None = None

    def _stage(self, chunk: bytes | memoryview) -> None:
        self._buffer.write(chunk)

    def staged_path(self) -> Path:
        if self._closed:
            raise ValueError("writer is closed")
        if self._staged is not None:
            self._staged.unlink(missing_ok=True)
        self._staged = self._store._materialise(f"staged-{id(self)}", self._buffer.getvalue())
        return self._staged

    def _publish(self, ref: BlobRef) -> bool:
        with self._store._lock:
            if ref.sha256 in self._store._blobs:
                return False
            self._store._blobs[ref.sha256] = self._buffer.getvalue()
            return True

    def _discard(self) -> None:
        self._buffer = io.BytesIO()
        if self._staged is not None:
            self._staged.unlink(missing_ok=True)


class MemoryBlobStore:
    """In-memory fake; ``local_path`` materialises a copy in a private temp directory."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._tmp = Path(tempfile.mkdtemp(prefix="elx-memblobs-"))

    def _materialise(self, name: str, data: bytes) -> Path:
        path = self._tmp / name
        path.write_bytes(data)
        return path

    def _get(self, sha256: str) -> bytes:
        try:
            return self._blobs[check_digest(sha256)]
        except KeyError:
            raise BlobNotFound(sha256) from None

    def writer(self, max_bytes: int) -> _MemoryWriter:
        return _MemoryWriter(self, max_bytes)

    def open(self, sha256: str) -> BinaryIO:
        return io.BytesIO(self._get(sha256))

    def local_path(self, sha256: str) -> Path:
        path = self._tmp / check_digest(sha256)
        if not path.exists():
            self._materialise(sha256, self._get(sha256))
        return path

    def exists(self, sha256: str) -> bool:
        return check_digest(sha256) in self._blobs

    def size(self, sha256: str) -> int:
        return len(self._get(sha256))

    def delete(self, sha256: str) -> bool:
        with self._lock:
            found = self._blobs.pop(check_digest(sha256), None) is not None
        (self._tmp / sha256).unlink(missing_ok=True)  # sha256 was checked above
        return found

    def digests(self) -> Iterator[str]:
        return iter(sorted(self._blobs))

    def close(self) -> None:
        """Remove the private temp directory."""
        shutil.rmtree(self._tmp, ignore_errors=True)
