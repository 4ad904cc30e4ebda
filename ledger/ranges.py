"""Verification split over processes by claimed ranges (for :func:`ledger.verify.verify_url`).

The log's indices are cut into many contiguous ranges. Every process walks the ranges it claims,
each from the stored hashes at its start (:func:`ledger.verify.resume_walker`, as sound as one
walk), in its own snapshot. The calling process claims from the front while the workers start and
then claim from the back, so a worker's start-up is not time the other process spends waiting at
the end, and they all finish within one short range of each other (with a static split in
halves, the caller waited up to a third of a second for a spawned worker). A range that fails
stops the claiming of every later range; the earliest failing range's error is the log's first
error.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any

from ledger.merkle import fold_root
from ledger.note_keys import Verifier
from ledger.published_keys import PublishedKey
from ledger.scan import Seen
from ledger.transactions import snapshot
from ledger.walker import LogError

__all__ = [
    "Claims",
    "Outcome",
    "Plan",
    "Walked",
    "auto_jobs",
    "cuts",
    "install",
    "walk_claimed",
    "worker",
    "worker_context",
]

MIN_RANGE = 8_192  # entries: below this, a range's set-up (a snapshot read, a resume) shows
RANGES_PER_JOB = 16  # the last ranges' imbalance is at most one range: 1/16 of a job's share
AUTO_MIN_PER_JOB = 65_536  # entries: about a quarter second of walking each


def cuts(size: int, jobs: int) -> tuple[int, ...]:
    """Range boundaries 0 = c0 < c1 < ... = size: ``jobs`` to ``16 * jobs`` equal ranges, none
    shorter than :data:`MIN_RANGE` unless there are only ``jobs`` of them."""
    count = max(jobs, min(RANGES_PER_JOB * jobs, size // MIN_RANGE))
    return tuple(dict.fromkeys(size * k // count for k in range(count + 1)))


@dataclass(frozen=True)
class Plan:
    """What every process needs: the database, the keys, the pinned origin, the range cuts."""

    url: str
    published: tuple[PublishedKey, ...]
    trusted: tuple[Verifier, ...] | None
    origin: str | None
    cuts: tuple[int, ...]


# A range walked: (stored subtree hashes checked, checkpoints checked, the tree's root at its
# end); its outcome is that or its first error.
Walked = tuple[int, int, bytes]
Outcome = Walked | LogError


class Claims:
    """The ranges not yet claimed, ``[front, back)``, shared by the processes (one lock)."""

    def __init__(self, shared: SynchronizedArray[int]) -> None:
        self.shared = shared

    @classmethod
    def create(cls, count: int, context: Any) -> Claims:
        return cls(context.Array("q", [0, count]))

    def front(self) -> int | None:
        with self.shared.get_lock():
            k, back = self.shared[0], self.shared[1]
            if k >= back:
                return None
            self.shared[0] = k + 1
            return k

    def back(self) -> int | None:
        with self.shared.get_lock():
            front, k = self.shared[0], self.shared[1] - 1
            if k < front:
                return None
            self.shared[1] = k
            return k

    def stop(self) -> None:
        """Hand out no more ranges (the caller gives up)."""
        with self.shared.get_lock():
            self.shared[1] = self.shared[0]

    def failed(self, k: int) -> None:
        """Range ``k`` failed: no range after it need be walked (those still unclaimed are all
        after it when it was claimed from the front)."""
        with self.shared.get_lock():
            if k < self.shared[0]:
                self.shared[1] = self.shared[0]


def walk_claimed(plan: Plan, claims: Claims, take: Callable[[], int | None]) -> dict[int, Outcome]:
    """Walk ranges claimed by ``take`` (``claims.front`` or ``claims.back``) until none is left."""
    from ledger.verify import resume_walker, walk_range  # ledger.verify imports this module

    trusted = None if plan.trusted is None else list(plan.trusted)
    outcomes: dict[int, Outcome] = {}
    seen = Seen()  # one cache of matched pieces over all of this process's ranges
    with snapshot(plan.url) as conn:
        while (k := take()) is not None:
            lo, hi = plan.cuts[k], plan.cuts[k + 1]
            walker = resume_walker(
                conn, lo, published=plan.published, trusted=trusted, origin=plan.origin
            )
            walker.seen = seen
            try:
                walk_range(conn, walker, hi)
            except LogError as error:
                outcomes[k] = error
                claims.failed(k)
                continue
            outcomes[k] = (walker.stored_nodes, walker.checkpoints, fold_root(walker.stack))
    return outcomes


_claims: Claims | None = None


def install(shared: SynchronizedArray[int]) -> None:
    """Worker initializer: the shared claims, handed over when the worker process starts."""
    global _claims
    _claims = Claims(shared)


def worker(plan: Plan) -> dict[int, Outcome]:
    """A worker's task: claim from the back."""
    assert _claims is not None, "install() runs first (the pool's initializer)"
    return walk_claimed(plan, _claims, _claims.back)


def worker_context() -> Any:
    """How workers start: forked from this process when it runs a single thread (the CLI; a
    fork starts in milliseconds, a fresh interpreter and its imports take about a third of a
    second), else as fresh interpreters (forking a threaded process can copy a lock another
    thread holds). A forked worker never touches the connections it inherits — it opens its
    own snapshot (SQLite "How To Corrupt": a connection must not be used across a fork) — and
    leaves by ``os._exit``, so it never closes them either."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def auto_jobs(size: int) -> int:
    """Processes for a log of ``size`` entries: one per usable CPU, each with at least
    :data:`AUTO_MIN_PER_JOB` entries (a worker pays for itself beyond that)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, size // AUTO_MIN_PER_JOB))
