"""End-to-end verification of a whole log: every entry, link, digest, hash, checkpoint, signature.

:class:`LogWalker` consumes entries in index order (from a database or an export) and checks:
the entry bytes are a canonical version-1 entry whose index is its position; ``prev`` is the
leaf hash of the previous entry (a hash chain, every link checked); the payload's SHA-256 is
the entry's ``payload_sha256``; the stored leaf hash is SHA-256(0x00 ‖ entry) and each stored
complete-subtree hash is its RFC 9162 node hash; every checkpoint is a C2SP signed note from a
trusted key whose origin, size and root match the recomputed tree, and every signature on it
is from a published key and valid. The first failure raises :class:`LogError` naming the index.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import multiprocessing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, create_engine, event, func, or_, select
from sqlalchemy.engine import Connection

from ledger import VerificationError
from ledger.checkpoint import open_checkpoint
from ledger.entry import ENTRY_RE, GENESIS_PREV
from ledger.merkle import EMPTY_ROOT
from ledger.note import Verifier, open_note_detailed
from ledger.store import (
    checkpoints,
    entries,
    fold_root,
    keys,
    log_size,
    node_key,
    nodes,
    read_subtrees,
    subtrees,
)

__all__ = [
    "LogError",
    "LogWalker",
    "PublishedKey",
    "VerifyReport",
    "parse_published",
    "raw_rows",
    "read_chunks",
    "resume_walker",
    "snapshot",
    "verify_database",
    "verify_url",
    "walk_range",
]


class LogError(VerificationError):
    """The first inconsistency found; ``index`` is the entry it concerns (None: the log as a
    whole, e.g. its key table)."""

    def __init__(self, index: int | None, problem: str) -> None:
        self.index, self.problem = index, problem
        super().__init__(problem if index is None else f"entry {index}: {problem}")

    def __reduce__(self) -> tuple[type[LogError], tuple[int | None, str]]:
        return LogError, (self.index, self.problem)  # picklable across verify processes


@dataclass(frozen=True)
class PublishedKey:
    """A verifier key as the log publishes it (``role`` "log" or "witness")."""

    verifier: Verifier
    role: str


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    origin: str | None
    size: int
    root_hash: bytes
    checkpoints: int
    stored_nodes: int
    keys: int
    keys_from_log: bool  # True: no --key given, the log's own published keys were trusted


class LogWalker:
    """Streaming verifier state: the next index, the last leaf hash and the perfect subtrees."""

    def __init__(
        self,
        published: Sequence[PublishedKey],
        trusted: Sequence[Verifier] | None = None,
        origin: str | None = None,
    ) -> None:
        self.published = [p.verifier for p in published]
        self.keys_from_log = trusted is None
        log_keys = [p.verifier for p in published if p.role == "log"]
        self.trusted = list(trusted) if trusted is not None else log_keys
        self.known = self.published + self.trusted
        self.origin = origin
        self.size = 0
        self.prev = bytes.fromhex(GENESIS_PREV)
        self.stack: list[bytes] = []
        self.checkpoints = 0
        self.last_checkpoint = 0
        self.stored_nodes = 0

    def entries(
        self,
        rows: Iterable[tuple[int, bytes, bytes, bytes | str | None]],
        node_hashes: Mapping[int, bytes] | None = None,
        signed: Mapping[int, tuple[bytes | None, str]] | None = None,
    ) -> None:
        """Check ``rows`` (index, entry, payload, stored leaf hash as bytes or hex, or None).

        ``node_hashes`` holds the stored subtree hashes (by :func:`ledger.store.node_key`) that
        these entries complete; ``signed`` maps sizes reached here to (stored root, note).
        """
        match, hexlify, sha256 = ENTRY_RE.fullmatch, binascii.hexlify, hashlib.sha256
        stack, prev, expect, seen_ts, checked = self.stack, self.prev, self.size, b"", 0
        for index, data, payload, stored in rows:
            if index != expect:
                raise LogError(expect, "missing" if index > expect else f"duplicate ({index})")
            m = match(data) if data.__class__ is bytes else None  # SQLite columns can hold text
            if m is None:
                raise LogError(index, "entry bytes are not a canonical version-1 entry")
            if int(m["index"]) != index:
                raise LogError(index, f"entry claims index {int(m['index'])}")
            if m["prev"] != hexlify(prev):
                raise LogError(index, "chain link mismatch (prev is not the previous leaf hash)")
            digest = hexlify(sha256(payload).digest()) if payload.__class__ is bytes else None
            if digest != m["payload_sha256"]:
                raise LogError(index, "payload digest mismatch")
            if m["ts"] != seen_ts:  # a batch shares one timestamp: parse each distinct one once
                try:
                    datetime.fromisoformat(m["ts"].decode())
                except ValueError:
                    raise LogError(index, "invalid timestamp") from None
                seen_ts = m["ts"]
            # RFC 9162 §2.1.1 leaf and node hashes, inlined (ledger.merkle has the same): the
            # function calls were a tenth of the verification time.
            h = prev = sha256(b"\x00" + data).digest()
            if stored is not None and stored != (h if isinstance(stored, bytes) else h.hex()):
                raise LogError(index, "stored leaf hash mismatch")
            level, i = 0, index
            while i & 1:
                h = sha256(b"\x01" + stack.pop() + h).digest()
                level, i = level + 1, i >> 1
                if node_hashes is not None:
                    found = node_hashes.get(node_key(level, i))
                    if found != h:
                        what = "missing" if found is None else "mismatch"
                        raise LogError(index, f"stored subtree (level {level}, index {i}) {what}")
                    checked += 1
            stack.append(h)
            expect += 1
            if signed is not None and expect in signed:
                self.size, self.prev = expect, prev
                self.checkpoint(expect, *signed[expect])
        self.size, self.prev = expect, prev
        self.stored_nodes += checked

    def checkpoint(self, size: int, stored_root: bytes | None, note: str) -> None:
        """Check a signed checkpoint for the current size (call when ``self.size == size``)."""
        index = size - 1
        if size != self.size or size <= 0:
            raise LogError(index if size > 0 else None, f"checkpoint for size {size} out of place")
        where = f"checkpoint at size {size}"
        try:
            cp = open_checkpoint(note, self.trusted, self.origin)
            opened = open_note_detailed(note, self.known)
        except VerificationError as exc:
            raise LogError(index, f"{where}: {exc}") from None
        if opened.unverified:
            sig = opened.unverified[0]
            unknown = f"{sig.name}+{sig.key_id.hex()}"
            raise LogError(index, f"{where}: signature by unpublished key {unknown}")
        self.origin = cp.origin
        if cp.size != size:
            raise LogError(index, f"{where}: the signed note says size {cp.size}")
        if stored_root is not None and stored_root != cp.root_hash:
            raise LogError(index, f"{where}: stored root hash differs from the signed note")
        if cp.root_hash != fold_root(self.stack):
            raise LogError(index, f"{where}: root hash mismatch")
        self.checkpoints += 1
        self.last_checkpoint = size

    def report(self, keys: int) -> VerifyReport:
        return VerifyReport(
            origin=self.origin,
            size=self.size,
            root_hash=fold_root(self.stack),
            checkpoints=self.checkpoints,
            stored_nodes=self.stored_nodes,
            keys=keys,
            keys_from_log=self.keys_from_log,
        )


def parse_published(rows: Iterable[tuple[str, str]]) -> list[PublishedKey]:
    """Published (vkey, role) pairs as verifier keys; a malformed one is a :class:`LogError`."""
    out = []
    for vkey, role in rows:
        try:
            out.append(PublishedKey(Verifier.from_vkey(vkey), role))
        except ValueError as exc:
            raise LogError(None, f"published key {vkey!r:.80}: {exc}") from None
    return out


def _stored_nodes(conn: Connection, lo: int, hi: int) -> dict[int, bytes]:
    """Stored subtree hashes completed by leaves lo..hi-1: node (l, j) ends at leaf 2^l(j+1)-1."""
    ranges = []
    for level in range(1, hi.bit_length() + 1):
        first, last = -(-(lo + 1) >> level) - 1, (hi >> level) - 1
        if first <= last:
            ranges.append(nodes.c.node_key.between(node_key(level, first), node_key(level, last)))
    if not ranges:
        return {}
    return dict(raw_rows(conn, select(nodes.c.node_key, nodes.c.hash).where(or_(*ranges))))


def raw_rows(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows as plain DB-API tuples: Core's per-row processing costs more than the hashing here.

    Runs on the connection's own DB-API connection, so inside the caller's transaction; the
    statement's bound values (ints only) are rendered as literals.
    """
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def read_chunks(
    conn: Connection, lo: int, hi: int, chunk: int = 50_000
) -> Iterator[tuple[int, int, list[tuple[Any, ...]], dict[int, tuple[Any, Any]]]]:
    """Stored entries lo..hi-1 in chunks: (start, stop, rows of (index, entry, payload, leaf
    hash), {size: (root hash, note)} for the checkpoints with start < size <= stop)."""
    cols = (entries.c.idx, entries.c.entry, entries.c.payload, entries.c.leaf_hash)
    cp_cols = (checkpoints.c.size, checkpoints.c.root_hash, checkpoints.c.note)
    for start in range(lo, hi, chunk):
        stop = min(start + chunk, hi)
        span = (entries.c.idx >= start, entries.c.idx < stop)
        rows = raw_rows(conn, select(*cols).where(*span).order_by(entries.c.idx))
        cp_span = (checkpoints.c.size > start, checkpoints.c.size <= stop)
        signed = {s: (r, n) for s, r, n in raw_rows(conn, select(*cp_cols).where(*cp_span))}
        yield start, stop, rows, signed


def walk_range(conn: Connection, walker: LogWalker, hi: int, chunk: int = 50_000) -> None:
    """Advance ``walker`` from its size to ``hi`` over the stored entries, nodes, checkpoints."""
    for start, stop, rows, signed in read_chunks(conn, walker.size, hi, chunk):
        walker.entries(rows, _stored_nodes(conn, start, stop), signed)
        if walker.size != stop:
            raise LogError(walker.size, "missing")


def resume_walker(conn: Connection, lo: int, **kwargs: Any) -> LogWalker:
    """A walker positioned at size ``lo`` from stored hashes (whoever walks the entries below
    ``lo`` checks those very hashes, so walking ranges separately checks as much as one walk)."""
    walker = LogWalker(**kwargs)
    if lo:
        frontier = subtrees(0, lo)
        found = read_subtrees(conn, [*frontier, (0, lo - 1)])
        walker.size, walker.prev = lo, found[node_key(0, lo - 1)]
        walker.stack = [found[node_key(*t)] for t in frontier]
    return walker


def _check_totals(conn: Connection, size: int, stored_nodes: int) -> None:
    """Rows no walk reaches: checkpoints beyond the log, extra subtree hashes, the last entries."""
    outside = or_(checkpoints.c.size <= 0, checkpoints.c.size > size)
    stray = conn.execute(select(func.min(checkpoints.c.size)).where(outside)).scalar()
    if stray is not None:
        raise LogError(size, f"missing, yet a checkpoint row claims size {stray}")
    if size and conn.execute(select(func.max(checkpoints.c.size))).scalar() != size:
        raise LogError(size - 1, "no signed checkpoint covers the newest entries")
    stored = conn.execute(select(func.count()).select_from(nodes)).scalar()
    if stored != stored_nodes:
        raise LogError(None, f"{stored} stored subtree hashes, expected {stored_nodes}")


def verify_database(
    conn: Connection,
    trusted: Sequence[Verifier] | None = None,
    origin: str | None = None,
    chunk: int = 50_000,
) -> VerifyReport:
    """Verify the whole log behind ``conn`` (give it a consistent snapshot, e.g. a transaction).

    ``trusted``: the verifier keys to trust; None trusts the log's own published log keys.
    """
    published = parse_published(conn.execute(select(keys.c.vkey, keys.c.role)))
    walker = LogWalker(published, trusted, origin)
    size = log_size(conn)
    walk_range(conn, walker, size, chunk)
    _check_totals(conn, size, walker.stored_nodes)
    return walker.report(len(published))


@contextmanager
def snapshot(url: str) -> Iterator[Connection]:
    """A read-only-use connection to ``url`` inside one transaction with a consistent snapshot:
    a deferred ``BEGIN`` on SQLite (WAL readers keep their snapshot), REPEATABLE READ on
    PostgreSQL. A missing SQLite file is an error, not a new empty database."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path not in (None, "", ":memory:") and not Path(path).is_file():
            raise FileNotFoundError(f"no SQLite database at {path}")

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    finally:
        engine.dispose()


@dataclass(frozen=True)
class _Part:
    url: str
    lo: int
    hi: int
    published: tuple[PublishedKey, ...]
    trusted: tuple[Verifier, ...] | None
    origin: str | None


def _walk_part(part: _Part) -> tuple[int, int, bytes]:
    trusted = None if part.trusted is None else list(part.trusted)
    with snapshot(part.url) as conn:
        walker = resume_walker(
            conn, part.lo, published=part.published, trusted=trusted, origin=part.origin
        )
        walk_range(conn, walker, part.hi)
    return walker.stored_nodes, walker.checkpoints, fold_root(walker.stack)


def verify_url(
    url: str,
    trusted: Sequence[Verifier] | None = None,
    origin: str | None = None,
    jobs: int = 1,
) -> VerifyReport:
    """:func:`verify_database` on a database URL, optionally split over ``jobs`` processes.

    Each process walks one contiguous range, resuming from stored hashes (see
    :func:`resume_walker`); the first failing range's error is the log's first error. Ranges
    are read in separate snapshots, which is sound because rows below the size read here never
    change in an append-only log (a concurrent rewrite is exactly what verification reports).
    """
    with snapshot(url) as conn:
        if jobs <= 1:
            return verify_database(conn, trusted, origin)
        published = parse_published(conn.execute(select(keys.c.vkey, keys.c.role)))
        size = log_size(conn)
        if origin is None:  # pin one origin for every range: the first checkpoint's
            first = conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size).limit(1))
            origin = next((n.split("\n", 1)[0] for n in first.scalars()), None)
        cuts = [size * k // jobs for k in range(jobs + 1)]
        trust = None if trusted is None else tuple(trusted)
        parts = [
            _Part(url, lo, hi, tuple(published), trust, origin)
            for lo, hi in itertools.pairwise(cuts)
            if lo < hi
        ]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(parts) or 1, mp_context=context) as pool:
            futures = [pool.submit(_walk_part, part) for part in parts]
            for future in futures:  # in index order: the first error is the earliest
                if future.exception() is not None:
                    raise future.exception()
            results = [future.result() for future in futures]
        stored_nodes = sum(r[0] for r in results)
        _check_totals(conn, size, stored_nodes)
    return VerifyReport(
        origin=origin,
        size=size,
        root_hash=results[-1][2] if results else EMPTY_ROOT,
        checkpoints=sum(r[1] for r in results),
        stored_nodes=stored_nodes,
        keys=len(published),
        keys_from_log=trusted is None,
    )
