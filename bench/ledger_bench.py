"""Ledger benchmark: batched appends, inclusion proofs, full verification, peak memory.

    .venv/bin/python bench/ledger_bench.py [--entries 1000000] [--batch 10000] [--jobs 2]

Builds a log of N entries in a SQLite file in a temporary directory and prints:

* batched append rate (entries/s; draft construction excluded, commits included);
* inclusion proof latency p50/p99 over 2,000 random proofs against the full tree;
* full verification time (``verify_database``; and ``verify_url`` with --jobs processes), and
  its ratio to a bare hashlib loop computing the same SHA-256 hashes (payloads, leaves, every
  interior node) over the same inputs, timed in this run without any database I/O; the
  parallel verification is compared with that loop's time divided by --jobs, i.e. with the
  same number of cores;
* peak RSS of this process (``resource.getrusage``) and the load average around the run.

Every time is shown as wall clock and as this process's CPU time: on a shared machine the CPU
figures say what the code costs, the wall figures what a user waited (SQLite runs in-process,
so its work is in the CPU time; fsync waits are not).

Targets on 2 cores: >= 20,000 appends/s; proof p99 <= 2 ms; verification <= 2x the bare loop.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ledger.checkpoint import open_checkpoint
from ledger.entry import EntryDraft
from ledger.merkle import leaf_hash
from ledger.note_keys import Signer
from ledger.proof import verify_inclusion
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking, snapshot
from ledger.verify import verify_database, verify_url

ORIGIN = "bench.elx/log"


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


def stored_chunks(engine: sa.Engine, chunk: int = 50_000) -> Iterator[list[tuple[bytes, bytes]]]:
    sql = "SELECT entry, payload FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx"
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar() or 0
        for lo in range(0, n, chunk):
            yield conn.exec_driver_sql(sql, (lo, lo + chunk)).all()


def bare_hashing(engine: sa.Engine) -> tuple[Spent, int]:
    """A bare hashlib loop over the log's own inputs: each payload, each 0x00 ‖ entry and each
    0x01 ‖ left ‖ right interior node, as verification hashes them (reads not timed)."""
    sha256, spent, hashes, count, stack = hashlib.sha256, Spent(), 0, 0, []
    for rows in stored_chunks(engine):
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
    args = parser.parse_args()
    started, n = load_average(), args.entries
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        engine = sa.create_engine(url)
        install_sqlite_locking(engine)
        create_tables(engine)
        store = LedgerStore(ORIGIN, Signer.generate(ORIGIN))
        spent = build(engine, store, n, args.batch)
        print(f"entries                 {n:,} in batches of {args.batch:,} (SQLite, a commit each)")
        print(f"batched append rate     {n / spent.wall:,.0f}/s wall, {n / spent.cpu:,.0f}/s CPU"
              "   (target >= 20,000)")
        print(f"database size           {Path(tmp, 'ledger.db').stat().st_size / 2**20:,.1f} MiB")
        wall, cpu = proof_latencies(engine, store, n, args.proofs)
        print(f"inclusion proof         p50 {percentile(wall, 0.5):.3f} ms, p99 "
              f"{percentile(wall, 0.99):.3f} ms wall; p50 {percentile(cpu, 0.5):.3f} ms, p99 "
              f"{percentile(cpu, 0.99):.3f} ms CPU; {len(wall):,} proofs (target p99 <= 2 ms)")
        verify = Spent()
        with verify.measure(), snapshot(url) as conn:
            report = verify_database(conn, [store.signer.verifier], ORIGIN)
        bare, hashes = bare_hashing(engine)
        print(f"full verification       {verify} ({report.size:,} entries, "
              f"{report.stored_nodes:,} stored nodes, {report.checkpoints} checkpoints)")
        print(f"bare hashlib loop       {bare} ({hashes:,} SHA-256 over the same inputs)")
        print(f"verify / bare loop      {verify.wall / bare.wall:.2f}x wall, "
              f"{verify.cpu / bare.cpu:.2f}x CPU   (target <= 2x)")
        if args.jobs > 1:
            began = time.perf_counter()
            verify_url(url, [store.signer.verifier], ORIGIN, jobs=args.jobs)
            parallel = time.perf_counter() - began
            ideal = bare.wall / args.jobs  # like with like: the baseline gets as many cores
            print(f"verification, {args.jobs} procs  {parallel:.2f} s wall = "
                  f"{parallel / ideal:.2f}x the bare loop split perfectly over {args.jobs} "
                  f"processes ({ideal:.2f} s)   (target <= 2x)")
        engine.dispose()
    print(f"peak RSS                {rss_mb():,.0f} MiB (this process: appends, proofs, "
          "single-process verification, bare loop)")
    print(f"load average            {started} at the start, {load_average()} at the end "
          f"(1/5/15 min; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
