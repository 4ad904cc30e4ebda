"""Upload ingestion: stream an asset file into the blob store and describe its table.

One streaming pass stores the original bytes under their SHA-256 while checking them (size limit,
NUL bytes, strict UTF-8). Text that is not plain UTF-8 (a BOM, GBK, GB18030; see encoding.py) is
then transcoded from the stored copy into a normalised UTF-8 blob; plain UTF-8 is used as is, so
the common case reads the body once. DuckDB reads the normalised file for columns and row count
(tabular.py) while the blob is fsynced and published. ``schema_digest`` is the SHA-256 of the RFC
8785 (JCS) canonical JSON of ``[{"name": …, "type": …}, …]``.

On any failure nothing is left behind: blobs published by this attempt are deleted again, unless
they were already stored (content addressing: another version may share them).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import rfc8785

from marketplace.assets.encoding import DecodeFailure, Utf8Scan, canonical_encoding, line_of
from marketplace.assets.encoding import transcode as transcode_to_utf8
from marketplace.assets.facts import Column, TableFacts, invalid
from marketplace.assets.formats import resolve_format
from marketplace.assets.receive import Committer, Readable, pump, read_head, too_large
from marketplace.assets.tabular import inspect_table
from marketplace.errors import DomainError, UnsupportedMediaType
from marketplace.storage import BlobRef, BlobStore, BlobWriter

__all__ = ["SPECULATE_AFTER", "Column", "IngestedFile", "ingest", "schema_digest"]

#: Bytes of a possibly-UTF-8 CSV decoded while it streams in; the rest is decoded on a thread
#: while DuckDB reads the stored copy (DuckDB alone misses invalid UTF-8 past column 1).
SPECULATE_AFTER = 4 << 20

_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}


@dataclass(frozen=True)
class IngestedFile:
    """What an upload turned out to be; ``normalized_sha256`` is the UTF-8 copy DuckDB reads."""

    sha256: str
    size: int
    format: str  # "csv" | "jsonl" | "parquet"
    encoding: str | None  # "utf-8" | "utf-8-sig" | "gbk" | "gb18030"; None for Parquet
    encoding_source: str | None  # "declared" | "detected"; None for Parquet
    normalized_sha256: str
    columns: tuple[Column, ...]
    row_count: int
    schema_digest: str


def schema_digest(columns: tuple[Column, ...]) -> str:
    """SHA-256 (hex) of the JCS canonical JSON (RFC 8785) of the columns, in order."""
    doc = [{"name": c.name, "type": c.type} for c in columns]
    return hashlib.sha256(rfc8785.dumps(doc)).hexdigest()


def ingest(stream: Readable, *, fmt: str | None, declared_encoding: str | None,
           filename: str | None, store: BlobStore, max_bytes: int,
           memory_limit: str = "256MB", csv_memory_limit: str = "64MB", threads: int = 2,
           expected_size: int | None = None) -> IngestedFile:
    """Store and describe one upload; raises 400/413/415/422 DomainErrors, leaving nothing.

    DuckDB reads a CSV under ``csv_memory_limit`` (a streaming count needs little; it sets most
    of a large upload's peak memory) and JSON Lines or Parquet under ``memory_limit`` (DuckDB's
    JSON reader alone reserves buffers of its 16 MB largest-object size per thread)."""
    attempt = _Attempt(store, max_bytes, memory_limit, threads, csv_memory_limit)
    try:
        return attempt.run(stream, fmt, declared_encoding, filename, expected_size)
    except BaseException:
        for sha in attempt.created:
            store.delete(sha)
        raise


@dataclass
class _Attempt:
    store: BlobStore
    max_bytes: int
    memory_limit: str
    threads: int
    csv_memory_limit: str

    def __post_init__(self) -> None:
        self.created: list[str] = []
        self._speculated: BlobRef | None = None  # the original, stored while speculating

    def run(self, stream: Readable, fmt: str | None, declared: str | None,
            filename: str | None, expected_size: int | None) -> IngestedFile:
        if expected_size is not None and expected_size > self.max_bytes:
            raise too_large(self.max_bytes)
        head = read_head(stream)
        if not head:
            raise invalid("The file is empty.")
        kind = resolve_format(fmt, filename, head)
        declared_name = None if kind == "parquet" or not declared else canonical_encoding(declared)
        if kind == "jsonl" and declared_name not in (None, "utf-8", "utf-8-sig"):
            raise UnsupportedMediaType("JSON Lines must be UTF-8 (RFC 8259 §8.1).")
        # A body that may be plain UTF-8 is decoded only up to SPECULATE_AFTER while it
        # streams in; the rest is checked on a thread while DuckDB reads the stored copy.
        may_be_utf8 = kind == "csv" and declared_name in (None, "utf-8")
        scan = None if kind == "parquet" else Utf8Scan(SPECULATE_AFTER if may_be_utf8 else None)
        with self.store.writer(self.max_bytes) as original:
            size = pump(stream, original, head=head, max_bytes=self.max_bytes,
                        expected_size=expected_size, check=scan.feed if scan else None)
            if scan is None:
                ref, facts = self._publish(original, kind)
                return _result(ref, size, kind, None, None, ref.sha256, facts)
            staged = original.staged_path()
            if scan.nul_at is not None:
                raise _at(staged, scan.nul_at, "{where} contains a NUL byte: this is not text.")
            if scan.deferred and not scan.has_bom:
                source = "detected" if declared_name is None else "declared"
                settled = self._speculate(original, staged, scan, size, kind, source)
                if settled is not None:
                    return settled
                staged = self.store.local_path(self._speculated.sha256)
            elif scan.deferred:  # a BOM: it is transcoded anyway, so check it all now
                with staged.open("rb") as src:
                    scan.complete_from(src)
            else:
                scan.finish()
            candidates, source = _candidates(scan, declared_name, staged, kind)
            if candidates == ["utf-8"]:
                ref, facts = self._publish(original, kind)
                return _result(ref, size, kind, "utf-8", source, ref.sha256, facts)
            if self._speculated is not None:  # the original is stored already
                encoding, normal, facts = self._normalise(staged, candidates, source, kind)
                return _result(self._speculated, size, kind, encoding, source, normal.sha256,
                               facts)
            committing = Committer(original, self.created)
            try:
                encoding, normal, facts = self._normalise(staged, candidates, source, kind)
            finally:
                ref = committing.wait()
            return _result(ref, size, kind, encoding, source, normal.sha256, facts)

    def _speculate(self, original: BlobWriter, staged: Path, scan: Utf8Scan, size: int,
                   kind: str, source: str) -> IngestedFile | None:
        """Store and inspect the body as UTF-8 while a thread decodes the deferred rest.

        Returns the result when the rest is valid UTF-8. Otherwise returns None with the
        original stored (``self._speculated``) and ``scan`` saying where it stops being UTF-8,
        so the caller goes on exactly as if the whole body had been decoded as it streamed in.
        """
        with staged.open("rb") as src:  # opened before the commit moves the staged file
            checker = threading.Thread(target=scan.complete_from, args=(src,),
                                       name="utf8-check", daemon=True)
            checker.start()
            committing = Committer(original, self.created)
            facts: TableFacts | None = None
            failure: DomainError | None = None
            try:
                facts = inspect_table(staged, kind, memory_limit=self._limit(kind),
                                      threads=self.threads)
            except DomainError as err:
                failure = err
            finally:
                ref = committing.wait()
                checker.join()
        self._speculated = ref
        if scan.invalid_at is not None:
            return None  # not UTF-8 after all: DuckDB's verdict on it does not matter
        if failure is not None:
            raise failure  # a real problem of a UTF-8 file (ragged rows, …)
        assert facts is not None
        return _result(ref, size, kind, "utf-8", source, ref.sha256, facts)

    def _limit(self, kind: str) -> str:
        return self.csv_memory_limit if kind == "csv" else self.memory_limit

    def _publish(self, writer: BlobWriter, kind: str) -> tuple[BlobRef, TableFacts]:
        staged = writer.staged_path()
        committing = Committer(writer, self.created)
        try:
            facts = inspect_table(staged, kind, memory_limit=self._limit(kind),
                                  threads=self.threads)
        finally:
            ref = committing.wait()
        return ref, facts

    def _normalise(self, staged: Path, candidates: list[str], source: str,
                   kind: str) -> tuple[str, BlobRef, TableFacts]:
        limit = self.max_bytes + self.max_bytes // 2 + 4  # UTF-8 needs <= 1.5x GBK bytes
        failure: DecodeFailure | None = None
        for encoding in candidates:
            with self.store.writer(limit) as normal, staged.open("rb") as src:
                try:
                    transcode_to_utf8(src, encoding, normal)
                except DecodeFailure as err:
                    failure = err
                    continue
                ref, facts = self._publish(normal, kind)
                return encoding, ref, facts
        assert failure is not None
        if source == "declared":
            template = f"{{where}} is not valid {_NAMES[failure.encoding]}."
        else:
            template = "The file is not UTF-8, GBK or GB18030 text: {where} is not valid GB18030."
        raise _at(staged, failure.offset, template)


def _candidates(scan: Utf8Scan, declared: str | None, staged: Path,
                kind: str) -> tuple[list[str], str]:
    """Encodings to try, in order, and whether they were declared or are being detected."""
    source = "detected" if declared is None else "declared"
    if declared in ("gbk", "gb18030"):
        return [declared], source
    if scan.invalid_at is None:
        return ["utf-8-sig" if scan.has_bom else "utf-8"], source
    if declared is not None or scan.has_bom or kind == "jsonl":
        raise _at(staged, scan.invalid_at, "{where} is not valid UTF-8.")
    return ["gbk", "gb18030"], source


def _at(staged: Path, offset: int, template: str) -> Exception:
    with staged.open("rb") as src:
        line = line_of(src, offset)
    message = template.format(where=f"line {line} (byte offset {offset})")
    return invalid(message[:1].upper() + message[1:], line=line, offset=offset)


def _result(ref: BlobRef, size: int, kind: str, encoding: str | None, source: str | None,
            normalized: str, facts: TableFacts) -> IngestedFile:
    assert ref.size == size
    return IngestedFile(ref.sha256, ref.size, kind, encoding, source, normalized,
                        facts.columns, facts.row_count, schema_digest(facts.columns))
