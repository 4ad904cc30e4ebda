"""Revenue at volume (issue 6 acceptance): post N paid orders through ``post_sale``, then time a
merchant statement and the full three-way reconciliation, printing rates and memory.

The reconciliation must stream: as the service does, the provider's charges are first spooled to
a temporary file (no transaction open while the provider pages), then matched in batches; its
Python heap peak (tracemalloc) is measured at 10 000 and at N orders and should stay flat; the
baseline measured in the same run is the naive approach (every sale's gross loaded into a dict,
then matched), whose peak grows with N.

    .venv/bin/python bench/revenue_bench.py --orders 100000
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from marketplace import create_app
from marketplace.accounts.models import Organization, OrgKind, OrgStatus, User
from marketplace.db import db
from marketplace.migrate import upgrade
from marketplace.payments.gateway import ProviderCharge
from marketplace.revenue import reconcile, reports, spool
from marketplace.revenue.journal import post_sale
from marketplace.revenue.models import JournalTransaction, TransactionKind
from marketplace.revenue.schedules import add_schedule

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MERCHANTS = [f"org_benchmerchant{i:06d}" for i in range(10)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def gross(i: int) -> int:
    return 1_000 + (i * 7919) % 500_000


def seed() -> object:
    db.session.add(User(id="usr_benchseed0000000", email="bench@example.org",
                        display_name="bench", password_hash="x", created_at=T0))
    db.session.flush()
    for org in MERCHANTS:
        db.session.add(Organization(id=org, name=org, kind=OrgKind.data_developer,
                                    status=OrgStatus.approved, created_by="usr_benchseed0000000",
                                    created_at=T0))
    schedule = add_schedule(currency="CNY", effective_from=T0, platform_bps=1000,
                            public_service_bps=500, minimum_fee_fen=100)
    db.session.commit()
    return schedule


def post(start: int, stop: int, schedule: object, path: Path) -> None:
    """Sales ``start..stop`` and their attempts (orders themselves are not needed here)."""
    for i in range(start, stop):
        post_sale(reference=f"ord_{i:012d}", merchant_org_id=MERCHANTS[i % len(MERCHANTS)],
                  gross_fen=gross(i), currency="CNY", schedule=schedule,  # type: ignore[arg-type]
                  occurred_at=T0)
        if i % 1000 == 999:
            db.session.commit()
    db.session.commit()
    _attempts(start, stop, path)


def _attempts(start: int, stop: int, path: Path) -> None:
    """Attempt rows for the charges, through a plain connection (foreign keys off: the
    bench has no order rows)."""
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO payment_attempts (id, order_id, provider, payment_method, intent_id, "
            "status, amount_fen, currency, created_at, updated_at) VALUES "
            "(?, ?, 'bench', 'pm_card_visa', ?, 'succeeded', ?, 'CNY', ?, ?)",
            [(f"pat_{i:012d}", f"ord_{i:012d}", f"pi_{i:012d}", gross(i),
              "2026-11-01 00:00:00.000000", "2026-11-01 00:00:00.000000")
             for i in range(start, stop)])


def charges(n: int) -> Iterator[ProviderCharge]:
    for i in range(n):
        yield ProviderCharge(f"ch_{i:012d}", f"pi_{i:012d}", gross(i), 0, "CNY", True)


def reconciled(provider: Iterator[ProviderCharge]) -> object:
    """What the service does: the provider's list first, spooled to a temporary file with no
    transaction open, then the streaming reconciliation over the spool."""
    with spool.fetch(provider) as spooled:
        return reconcile.report(spooled)


def naive(n: int) -> int:
    """Baseline: every sale in a dict, then every charge looked up."""
    books = {ref: 0 for (ref,) in db.session.execute(select(JournalTransaction.reference).where(
        JournalTransaction.kind == TransactionKind.sale))}
    provider = {c.intent_id: c for c in charges(n)}
    return len(books) + len(provider)


def measure(label: str, fn: object) -> tuple[float, float]:
    tracemalloc.start()
    began = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"  {label:<34} {elapsed:8.2f} s   heap peak {peak:8.1f} MB   RSS {rss_mb():7.1f} MB")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="revenue-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "VAR_DIR": str(tmp),
                      "WORKER_THREADS": 0, "PAYMENTS_GATEWAY": "fake", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(db.engine)
        schedule = seed()
        checkpoints = sorted({min(10_000, args.orders), args.orders})
        done, peaks = 0, {}
        for target in checkpoints:
            began = time.perf_counter()
            post(done, target, schedule, tmp / "bench.db")
            rate = (target - done) / (time.perf_counter() - began)
            done = target
            print(f"{done} paid orders posted ({rate:,.0f} sales/s)")
            measure("statement (one merchant, all time)",
                    lambda: reports.statement(MERCHANTS[0], "CNY", date(2000, 1, 1),
                                              date(2100, 1, 1)))
            seconds, peaks[done] = measure(
                "reconciliation (spooled, streaming)",
                lambda n=done: reconciled(charges(n)))
            print(f"  reconciliation rate {done / seconds:,.0f} charges/s")
        _, baseline = measure("baseline: naive in-memory match", lambda: naive(done))
        first, last = peaks[checkpoints[0]], peaks[checkpoints[-1]]
        print(f"streaming heap peak {checkpoints[0]} → {checkpoints[-1]} orders: "
              f"×{last / first:.2f}; naive/streaming at {done}: ×{baseline / last:.1f}; "
              f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
