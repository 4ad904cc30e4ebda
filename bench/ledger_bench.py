"""Ledger benchmark: batched appends, inclusion proofs, full verification, peak memory.

    .venv/bin/python bench/ledger_bench.py [--entries 1000000] [--batch 10000] [--jobs 2]
        [--repeat 3]

Builds a log of N entries in a SQLite file in a temporary directory and prints:

* batched append rate (entries/s; draft construction excluded, commits included);
* inclusion proof latency p50/p99 over 2,000 random proofs against the full tree;
* full verification time (``verify_database``), and its ratio to a bare hashlib loop computing
  the same SHA-256 hashes (payloads, leaves, every interior node) over the same inputs, timed
  in this run without any database I/O; --repeat runs of each, interleaved, so both see the
  same machine: the median and the best of each are shown, and their ratios;
* the same for ``verify_url`` over --jobs processes (``python -m ledger verify``'s default on a
  machine with that many CPUs), against the bare loop, and like with like: against the bare
  loop split over as many processes hashing at once (measured: two busy cores of a shared
  machine are each slower than one) and against the 1-process loop's time / --jobs;
* peak RSS (``resource.getrusage``) of this process and of a verification, and the load
  average around the run.

Every verification and bare loop runs in a fresh interpreter, as ``python -m ledger verify``
does, not in the process that built the log.

Every time is shown as wall clock and as this process's CPU time: on a shared machine the CPU
figures say what the code costs, the wall figures what a user waited (SQLite runs in-process,
so its work is in the CPU time; fsync waits are not).

Targets on 2 cores: >= 20,000 appends/s; proof p99 <= 2 ms; verification <= 2x the bare loop.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from ledger.checkpoint import open_checkpoint
from ledger.entry import EntryDraft
from ledger.merkle import leaf_hash
from ledger.note_keys import Signer, Verifier
from ledger.proof import verify_inclusion
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking, snapshot
from ledger.verify import verify_database, verify_url
from ledger.walk_report import VerifyReport

ORIGIN = "bench.elx/log"
T = TypeVar("T")


def drafts(start: int, count: int) -> list[EntryDraft]:
    """Realistic entries: an asset version registration with a ~150-byte payload."""
    return [
        EntryDraft(
            "asset.version.registered",
            f"ast_{i:012d}",
            f"org_{i % 87:03d}",
            f"usr_{i % 1700:05d}",
            {
                "asset": f"ast_{i:012d}",
                "version": 1 + i % 7,
                "bytes": 1000 * i,
                "sha256": hashlib.sha256(i.to_bytes(8, "big")).hexdigest(),
            },
        )
        for i in range(start, start + count)
    ]


@dataclass
class Spent:
    """Accumulated wall-clock and CPU seconds of the measured sections."""

    wall: float = 0.0
    cpu: float = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall / {self.cpu:.2f} s CPU"


def build(engine: sa.Engine, store: LedgerStore, n: int, batch: int) -> Spent:
    """Append ``n`` entries in batches, one transaction each (draft construction not timed)."""
    spent = Spent()
    for start in range(0, n, batch):
        todo = drafts(start, min(batch, n - start))
        with spent.measure(), engine.begin() as conn:
            store.append_batch(conn, todo)
    return spent


def proof_latencies(
    engine: sa.Engine, store: LedgerStore, n: int, count: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per inclusion proof for random leaves of the size-n tree."""
    rng = random.Random(1)
    wall, cpu = [], []
    with engine.connect() as conn:
        note = store.latest_checkpoint(conn)
        root = open_checkpoint(note, [store.signer.verifier], ORIGIN).root_hash
        for k in range(count):
            index = rng.randrange(n)
            began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
            proof = store.inclusion_proof(conn, index, n)
            cpu.append((time.thread_time_ns() - began_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - began) / 1e6)
            if k % 100 == 0:  # spot-check that what was timed is a valid proof
                entry, _ = store.entry(conn, index)
                verify_inclusion(leaf_hash(entry.to_bytes()), index, n, proof, root)
    return sorted(wall), sorted(cpu)


def stored_chunks(
    engine: sa.Engine, lo: int = 0, hi: int | None = None, chunk: int = 50_000
) -> Iterator[list[tuple[bytes, bytes]]]:
    sql = "SELECT entry, payload FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx"
    with engine.connect() as conn:
        if hi is None:
            hi = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar() or 0
        for start in range(lo, hi, chunk):
            yield conn.exec_driver_sql(sql, (start, min(start + chunk, hi))).all()


def bare_hashing(chunks: Iterable[list[tuple[bytes, bytes]]]) -> tuple[Spent, int]:
    """A bare hashlib loop over the log's own inputs: each payload, each 0x00 ‖ entry and each
    0x01 ‖ left ‖ right interior node, as verification hashes them (reads not timed)."""
    sha256, spent, hashes, count, stack = hashlib.sha256, Spent(), 0, 0, []
    for rows in chunks:
        with spent.measure():
            for data, payload in rows:
                sha256(payload).digest()
                h = sha256(b"\x00" + data).digest()
                count += 1
                c = count
                while not c & 1:
                    h = sha256(b"\x01" + stack.pop() + h).digest()
                    hashes += 1
                    c >>= 1
                stack.append(h)
        hashes += 2 * len(rows)
    return spent, hashes


def _bare_part(url: str, lo: int, hi: int, start: Any, results: Any) -> None:
    """One process of the parallel bare loop: read entries lo..hi-1, wait for the others, hash."""
    engine = sa.create_engine(url)
    chunks = list(stored_chunks(engine, lo, hi))
    engine.dispose()
    start.wait()
    spent, hashes = bare_hashing(chunks)
    results.put((spent.wall, hashes))


def parallel_bare_hashing(url: str, n: int, jobs: int) -> tuple[float, int]:
    """The bare loop split over ``jobs`` processes hashing at the same time (each its share of
    the entries, read before a common start): the slowest one's wall time, and the hashes."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(jobs), context.Queue()
    cuts = [n * k // jobs for k in range(jobs + 1)]
    workers = [
        context.Process(target=_bare_part, args=(url, lo, hi, start, results))
        for lo, hi in itertools.pairwise(cuts)
    ]
    for worker in workers:
        worker.start()
    done = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(wall for wall, _ in done), sum(hashes for _, hashes in done)


def timed_verify(url: str, vkey: str, jobs: int) -> tuple[Spent, VerifyReport, float]:
    """``python -m ledger verify`` as a function: the time, the report, the peak RSS (MiB)."""
    verifier, spent = Verifier.from_vkey(vkey), Spent()
    with spent.measure():
        if jobs > 1:
            report = verify_url(url, [verifier], ORIGIN, jobs=jobs)
        else:
            with snapshot(url) as conn:
                report = verify_database(conn, [verifier], ORIGIN)
    return spent, report, rss_mb()


def timed_bare(url: str) -> tuple[Spent, int]:
    engine = sa.create_engine(url)
    try:
        return bare_hashing(stored_chunks(engine))
    finally:
        engine.dispose()


def _put_result(results: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    results.put(target(*args))


def in_fresh_process(target: Callable[..., T], *args: Any) -> T:
    """``target(*args)`` in a new interpreter, as a verifier runs (``python -m ledger verify``),
    not in this one, whose heap the build and the proofs have shaped (verification here ran
    10-20% slower than in a fresh process, and varied more)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_put_result, args=(results, target, args))
    process.start()
    result = results.get()
    process.join()
    return result


def spread(runs: list[Spent]) -> str:
    """Median and best of repeated runs, wall and CPU."""
    walls, cpus = [r.wall for r in runs], [r.cpu for r in runs]
    return (f"median {statistics.median(walls):.2f} s wall / {statistics.median(cpus):.2f} s CPU"
            f" (best {min(walls):.2f} / {min(cpus):.2f}; {len(runs)} runs)")


def ratios(runs: list[Spent], bases: list[Spent]) -> str:
    """Median / median and best / best, wall and CPU."""
    def ratio(pick: Any, of: Any) -> float:
        return pick(of(r) for r in runs) / pick(of(b) for b in bases)

    wall, cpu = (lambda r: r.wall), (lambda r: r.cpu)
    return (f"{ratio(statistics.median, wall):.2f}x wall, {ratio(statistics.median, cpu):.2f}x CPU"
            f" (medians; best/best {ratio(min, wall):.2f}x wall, {ratio(min, cpu):.2f}x CPU)")


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))]


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the parallel verify")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each verification")
    args = parser.parse_args()
    started, n = load_average(), args.entries
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        engine = sa.create_engine(url)
        install_sqlite_locking(engine)
        create_tables(engine)
        store = LedgerStore(ORIGIN, Signer.generate(ORIGIN))
        spent = build(engine, store, n, args.batch)
        os.sync()  # the build's writes reach the disk now, not during the timed reads
        print(f"entries                 {n:,} in batches of {args.batch:,} (SQLite, a commit each)")
        print(f"batched append rate     {n / spent.wall:,.0f}/s wall, {n / spent.cpu:,.0f}/s CPU"
              "   (target >= 20,000)")
        print(f"database size           {Path(tmp, 'ledger.db').stat().st_size / 2**20:,.1f} MiB")
        wall, cpu = proof_latencies(engine, store, n, args.proofs)
        print(f"inclusion proof         p50 {percentile(wall, 0.5):.3f} ms, p99 "
              f"{percentile(wall, 0.99):.3f} ms wall; p50 {percentile(cpu, 0.5):.3f} ms, p99 "
              f"{percentile(cpu, 0.99):.3f} ms CPU; {len(wall):,} proofs (target p99 <= 2 ms)")
        vkey, verifies, bares = store.signer.verifier.vkey, [], []
        for _ in range(args.repeat):  # interleaved, so that both see the same machine
            verify, report, verify_rss = in_fresh_process(timed_verify, url, vkey, 1)
            bare, hashes = in_fresh_process(timed_bare, url)
            verifies.append(verify)
            bares.append(bare)
        print(f"full verification       {spread(verifies)} ({report.size:,} entries, "
              f"{report.stored_nodes:,} stored nodes, {report.checkpoints} checkpoints; "
              f"peak RSS {verify_rss:,.0f} MiB)")
        print(f"bare hashlib loop       {spread(bares)} ({hashes:,} SHA-256 over the same inputs)")
        print(f"verify / bare loop      {ratios(verifies, bares)}   (target <= 2x)")
        if args.jobs > 1:
            parallel, parallel_bare = [], []
            for _ in range(args.repeat):
                took, _, _ = in_fresh_process(timed_verify, url, vkey, args.jobs)
                parallel.append(took.wall)
                wall, parallel_hashes = parallel_bare_hashing(url, n, args.jobs)
                parallel_bare.append(wall)
            mid, base = statistics.median(parallel), statistics.median(parallel_bare)
            one = statistics.median(b.wall for b in bares)
            print(f"verification, {args.jobs} procs  median {mid:.2f} s wall (best "
                  f"{min(parallel):.2f}) = {mid / one:.2f}x the bare loop (medians; the CLI's "
                  f"default on {args.jobs} CPUs)   (target <= 2x)")
            print(f"bare loop, {args.jobs} procs     median {base:.2f} s wall "
                  f"(best {min(parallel_bare):.2f}; {parallel_hashes:,} SHA-256, every "
                  "process hashing at once)")
            print(f"{args.jobs} procs, like with like  {mid / base:.2f}x the bare loop in "
                  f"{args.jobs} processes; {mid / (one / args.jobs):.2f}x the 1-process loop "
                  f"/ {args.jobs} (medians)")
        engine.dispose()
    print(f"peak RSS                {rss_mb():,.0f} MiB (this process: appends, proofs)")
    print(f"load average            {started} at the start, {load_average()} at the end "
          f"(1/5/15 min; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
