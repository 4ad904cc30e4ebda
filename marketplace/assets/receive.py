"""Streaming receipt of an upload body into a blob writer, in one pass of ~1 MiB chunks.

The body is never held in memory whole. This thread reads each chunk and runs the caller's check
on it (e.g. strict UTF-8 decoding) while a worker thread hashes and stages the earlier chunks;
hashlib and file writes release the GIL, so checking and storing overlap (``ChunkFeeder``; at
most ``ChunkFeeder.QUEUED`` chunks are in flight). The size limit is enforced on every chunk,
before it is queued.
:class:`Committer` then publishes the blob on a thread while the caller reads the staged file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from marketplace.assets.encoding import CHUNK
from marketplace.errors import BadRequest
from marketplace.storage import BlobRef, BlobWriter, ChunkFeeder, too_large

__all__ = ["Committer", "Readable", "pump", "read_head", "too_large"]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read(stream: Readable, size: int) -> bytes:
    try:
        return stream.read(size)
    except OSError:
        raise BadRequest("The upload was interrupted.") from None


def read_head(stream: Readable, size: int = CHUNK) -> bytes:
    """Up to ``size`` bytes from the start of the body (short reads are retried until EOF)."""
    head = b""
    while len(head) < size and (chunk := _read(stream, size - len(head))):
        head += chunk
    return head


def pump(stream: Readable, writer: BlobWriter, *, head: bytes, max_bytes: int,
         expected_size: int | None = None,
         check: Callable[[bytes], None] | None = None) -> int:
    """Write ``head`` then the rest of ``stream`` to ``writer``; return the total size.

    413 as soon as the size passes ``max_bytes``; 400 if the body ends before (or runs past)
    ``expected_size`` (the declared Content-Length), or if reading it fails.
    """
    if expected_size is not None and expected_size > max_bytes:
        raise too_large(max_bytes)
    total = 0
    with ChunkFeeder(writer.write) as stager:
        chunk = head
        while chunk:
            total += len(chunk)
            if total > max_bytes:
                raise too_large(max_bytes)
            if check is not None:
                check(chunk)
            stager.put(chunk)
            chunk = _read(stream, CHUNK)
    if expected_size is not None and total != expected_size:
        raise BadRequest("The upload ended before the declared length."
                         if total < expected_size else "The upload is longer than declared.")
    return total


class Committer:
    """``writer.commit()`` on a thread, so the fsync overlaps DuckDB reading the staged file.

    Digests of blobs this commit newly created are appended to ``created`` (for rollback).
    """

    def __init__(self, writer: BlobWriter, created: list[str]) -> None:
        self._writer, self._created = writer, created
        self._ref: BlobRef | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="blob-commit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._ref = self._writer.commit()
            if self._writer.created:
                self._created.append(self._ref.sha256)
        except BaseException as err:  # re-raised by wait()
            self._error = err

    def wait(self) -> BlobRef:
        """Join the commit; its BlobRef, or its exception re-raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._ref is not None
        return self._ref
