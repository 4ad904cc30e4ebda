"""The journal is append-only and race-safe (issue 6 §3): rows are never edited or deleted,
the database refuses a line with both or neither side, a duplicate that slips past the check
is still refused by the unique constraint, and concurrent postings cannot overdraw a payable
or over-refund a sale."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db
from marketplace.revenue import balances, journal
from marketplace.revenue.fees import Fees
from marketplace.revenue.journal import AlreadyPosted, post_payout, post_refund, post_sale
from marketplace.revenue.models import FeeSchedule, ImmutableRow, JournalLine
from marketplace.revenue.schedules import add_schedule
from tests.unit.marketplace.revenue.conftest import MERCHANTS, T0, seed_merchants

A = MERCHANTS[0]
FEES = Fees(1000, 500, 100)


def _sale(reference: str = "ord_1") -> Any:
    return post_sale(reference=reference, merchant_org_id=A, gross_fen=10_000,
                     currency="CNY", schedule=FEES, occurred_at=T0)


def test_lines_and_schedules_are_never_edited_or_deleted(books: Flask) -> None:
    _sale()
    line = db.session.scalars(select(JournalLine)).first()
    assert line is not None
    line.credit_fen += 1
    with pytest.raises(ImmutableRow):
        db.session.flush()
    db.session.rollback()
    schedule = add_schedule(currency="CNY", effective_from=T0, platform_bps=1,
                            public_service_bps=1, minimum_fee_fen=0)
    db.session.delete(schedule)
    with pytest.raises(ImmutableRow):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(FeeSchedule)).first() is None


@pytest.mark.parametrize("sides", [(0, 0), (5, 5), (-5, 0)])
def test_the_database_refuses_a_line_without_exactly_one_side(books: Flask,
                                                              sides: tuple[int, int]) -> None:
    txn = _sale()
    db.session.add(JournalLine(transaction_id=txn.id, account="x", currency="CNY",
                               debit_fen=sides[0], credit_fen=sides[1]))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_racing_duplicate_is_refused_by_the_unique_constraint(
        books: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _sale()
    monkeypatch.setattr(journal, "_refuse_duplicate", lambda kind, reference: None)
    with pytest.raises(AlreadyPosted):
        _sale()
    # only the savepoint was rolled back: the first sale and the session are intact
    assert balances.payable(A, "CNY") == 8_500 and db.session.get(type(first), first.id)
    _sale("ord_2")
    assert balances.payable(A, "CNY") == 17_000


def _race(app: Flask, first: Callable[[], Any], second: Callable[[], Any]) -> list[str]:
    """``first`` posts and holds its transaction open for a while; ``second`` posts meanwhile.
    Returns each one's outcome, in order of commit."""
    outcomes: list[str] = []
    posted = threading.Event()

    def run(post: Callable[[], Any], hold: bool) -> None:
        with app.app_context():
            try:
                post()
                if hold:
                    posted.set()
                    time.sleep(0.5)
                db.session.commit()
                outcomes.append("ok")
            except Exception as exc:
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                posted.set()
                db.session.remove()

    threads = [threading.Thread(target=run, args=(first, True))]
    threads[0].start()
    posted.wait(10)
    threads.append(threading.Thread(target=run, args=(second, False)))
    threads[1].start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_concurrent_payouts_and_refunds_cannot_overdraw(app_factory: Any, backend: str) -> None:
    app = app_factory(backend=backend)
    seed_merchants(app)
    with app.app_context():
        _sale()
        db.session.commit()

    def payout(reference: str) -> Callable[[], Any]:
        return lambda: post_payout(reference=reference, merchant_org_id=A, amount_fen=6_000,
                                   currency="CNY", occurred_at=T0)

    def refund(reference: str) -> Callable[[], Any]:
        return lambda: post_refund(reference=reference, sale_reference="ord_1",
                                   amount_fen=6_000, occurred_at=T0)

    assert _race(app, payout("po_1"), payout("po_2")) == ["ok", "PayoutExceedsPayable"]
    assert _race(app, refund("re_1"), refund("re_2")) == ["ok", "RefundExceedsCaptured"]
    with app.app_context():
        assert balances.payable(A, "CNY") >= 0
        assert balances.trial_balance() == {"CNY": 0}
