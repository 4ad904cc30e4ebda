"""End-to-end verification of a stored log: every entry, link, digest, hash, checkpoint and
signature — RFC 9162 §2.1 Merkle tree, C2SP tlog-checkpoint and signed-note.

:func:`verify_database` walks the whole log behind a connection with a
:class:`~ledger.walker.LogWalker` (see there for the checks), chunk by chunk, also checking every
stored subtree hash, and then the rows no walk reaches: checkpoints beyond the log, extra subtree
hashes, newest entries without a checkpoint. :func:`verify_url` does the same on a database URL,
optionally splitting the walk over processes. The first failure raises
:class:`~ledger.walker.LogError` naming the index.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from ledger.levels import levels_match, new_levels
from ledger.merkle import EMPTY_ROOT, fold_root
from ledger.note_keys import Verifier
from ledger.published_keys import PublishedKey, read_published
from ledger.queries import (
    completed_nodes,
    first_origin,
    log_size,
    read_chunks,
    read_subtrees,
    subtree_hashes,
)
from ledger.schema import checkpoints, nodes, rowid_indexed
from ledger.shape import node_key, subtrees
from ledger.transactions import snapshot
from ledger.walker import LogError, LogWalker, VerifyReport

__all__ = ["resume_walker", "verify_database", "verify_url", "walk_range"]


def walk_range(conn: Connection, walker: LogWalker, hi: int, chunk: int = 50_000) -> None:
    """Advance ``walker`` from its size to ``hi`` over the stored entries, nodes, checkpoints.

    Each chunk is read once, in batches, through the walker's fast path, and its stored subtree
    hashes compared a level at a time at the end; if anything is amiss the chunk is read again
    and walked by the reference loop, which raises the first error in index order. Where the
    index is the rowid the fast path reads no index: a row's is its position, once the chunk
    has exactly ``stop - start`` rows (:func:`ledger.schema.rowid_indexed`).
    """
    positional = rowid_indexed(conn)
    for start, stop, batches, signed in read_chunks(
        conn, walker.size, hi, chunk, positional=positional
    ):
        saved, levels = walker.save(), new_levels()
        with closing(batches):  # a failure leaves no cursor open
            fast = all(walker.fast_entries(rows, signed, levels, positional) for rows in batches)
        if (
            fast
            and walker.size == stop
            and levels_match(levels, start, stop, subtree_hashes(conn, start, stop))
        ):
            walker.stored_nodes += sum(map(len, levels))
            continue
        walker.restore(saved)
        for _, _, batches, _ in read_chunks(conn, start, stop, chunk, None):
            rows = next(batches, [])
            batches.close()
            walker.reference_entries(rows, completed_nodes(conn, start, stop), signed)
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
    published = read_published(conn)
    walker = LogWalker(published, trusted, origin)
    size = log_size(conn)
    walk_range(conn, walker, size, chunk)
    _check_totals(conn, size, walker.stored_nodes)
    return walker.report(len(published))


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
        published = read_published(conn)
        size = log_size(conn)
        if origin is None:  # pin one origin for every range: the first checkpoint's
            origin = first_origin(conn)
        cuts = [size * k // jobs for k in range(jobs + 1)]
        trust = None if trusted is None else tuple(trusted)
        parts = [
            _Part(url, lo, hi, tuple(published), trust, origin)
            for lo, hi in itertools.pairwise(cuts)
            if lo < hi
        ]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(len(parts) - 1, 1), mp_context=context) as pool:
            # The later ranges go to fresh processes; this one, already warm, walks the first
            # range meanwhile (saves a process start, ~10% of a million-entry verification).
            futures = [pool.submit(_walk_part, part) for part in parts[1:]]
            results = [_walk_part(parts[0])] if parts else []
            for future in futures:  # in index order: the first error is the earliest
                if future.exception() is not None:
                    raise future.exception()
            results += [future.result() for future in futures]
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
