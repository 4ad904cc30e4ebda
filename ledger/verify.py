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

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from ledger import ranges
from ledger.levels import levels_match, new_levels
from ledger.merkle import EMPTY_ROOT
from ledger.note_keys import Verifier
from ledger.published_keys import read_published
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


def verify_url(
    url: str,
    trusted: Sequence[Verifier] | None = None,
    origin: str | None = None,
    jobs: int | None = 1,
) -> VerifyReport:
    """:func:`verify_database` on a database URL, optionally split over ``jobs`` processes
    (None: :func:`ledger.ranges.auto_jobs`, one per CPU for a long enough log).

    The processes walk ranges they claim as they go (:mod:`ledger.ranges`), each resuming from
    stored hashes (see :func:`resume_walker`); the earliest failing range's error is the log's
    first error. Ranges are read in separate snapshots, which is sound because rows below the
    size read here never change in an append-only log (a concurrent rewrite is exactly what
    verification reports).
    """
    with snapshot(url) as conn:
        size = log_size(conn)
        jobs = ranges.auto_jobs(size) if jobs is None else jobs
        if jobs <= 1:
            return verify_database(conn, trusted, origin)
        published = read_published(conn)
        if origin is None:  # pin one origin for every range: the first checkpoint's
            origin = first_origin(conn)
        trust = None if trusted is None else tuple(trusted)
        plan = ranges.Plan(url, tuple(published), trust, origin, ranges.cuts(size, jobs))
        walked = _walk_ranges(plan, jobs)
        stored_nodes = sum(nodes for nodes, _, _ in walked)
        _check_totals(conn, size, stored_nodes)
    return VerifyReport(
        origin=origin,
        size=size,
        root_hash=walked[-1][2] if walked else EMPTY_ROOT,
        checkpoints=sum(signed for _, signed, _ in walked),
        stored_nodes=stored_nodes,
        keys=len(published),
        keys_from_log=trusted is None,
    )


def _walk_ranges(plan: ranges.Plan, jobs: int) -> list[ranges.Walked]:
    """Every range walked, in index order; else the earliest failing range's error raised."""
    count = len(plan.cuts) - 1
    if count <= 0:
        return []
    context = ranges.worker_context()
    claims = ranges.Claims.create(count, context)
    workers = min(jobs - 1, count - 1)
    with ProcessPoolExecutor(
        max_workers=max(workers, 1),
        mp_context=context,
        initializer=ranges.install,
        initargs=(claims.shared,),
    ) as pool:
        futures = [pool.submit(ranges.worker, plan) for _ in range(workers)]
        try:
            outcomes = ranges.walk_claimed(plan, claims, claims.front)  # this one, already warm
            for future in futures:
                outcomes.update(future.result())
        except BaseException:  # e.g. a database error: the workers stop after their range
            claims.stop()
            raise
    walked = []
    for k in sorted(outcomes):
        outcome = outcomes[k]
        if isinstance(outcome, LogError):
            raise outcome
        walked.append(outcome)
    if sorted(outcomes) != list(range(count)):  # every range walked exactly once
        raise LogError(None, "a verification range was not walked")
    return walked
