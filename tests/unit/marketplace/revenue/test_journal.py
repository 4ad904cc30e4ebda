"""Posting sales, refunds and payouts (issue 6 §3) on SQLite and PostgreSQL: the lines each
posting writes (amounts worked by hand), the limits, duplicates, validation, and that nothing
is written or committed by a posting that fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.errors import NotFound, ValidationFailed
from marketplace.revenue import balances, journal
from marketplace.revenue.fees import Fees
from marketplace.revenue.journal import (
    AlreadyPosted,
    PayoutExceedsPayable,
    RefundExceedsCaptured,
    post_payout,
    post_refund,
    post_sale,
)
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import Line, Unbalanced
from tests.unit.marketplace.revenue.conftest import MERCHANTS, T0

A, B = MERCHANTS
STANDARD = Fees(platform_bps=1000, public_service_bps=500, minimum_fee_fen=100)


def sale(reference: str = "ord_1", gross: int = 10_000, org: str = A, **kw: Any) -> Any:
    args = {"reference": reference, "merchant_org_id": org, "gross_fen": gross,
            "currency": "CNY", "schedule": STANDARD, "occurred_at": T0, **kw}
    return post_sale(**args)


def lines_of(txn: JournalTransaction) -> set[tuple[str, int, int]]:
    rows = db.session.scalars(select(JournalLine).where(JournalLine.transaction_id == txn.id))
    return {(r.account, r.debit_fen, r.credit_fen) for r in rows}


def row_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalLine)) or 0


def test_a_sale_debits_clearing_and_credits_the_three_shares(books: Flask) -> None:
    txn = sale(gross=12_345, memo="order ord_1")
    # 10 % half up = 1 235; 5 % = 617; merchant 12 345 − 1 852 = 10 493
    assert lines_of(txn) == {("provider_clearing", 12_345, 0),
                             (f"merchant_payable:{A}", 0, 10_493),
                             ("platform_commission", 0, 1_235),
                             ("public_service_fund", 0, 617)}
    assert (txn.kind, txn.currency, txn.day, txn.memo) == (
        TransactionKind.sale, "CNY", T0.date(), "order ord_1")
    assert balances.payable(A, "CNY") == 10_493
    assert balances.trial_balance() == {"CNY": 0}


def test_partial_refunds_reverse_pro_rata_and_never_exceed_the_capture(books: Flask) -> None:
    sale()                                            # shares 8 500 / 1 000 / 500
    first = post_refund(reference="re_1", sale_reference="ord_1", amount_fen=3_333,
                        occurred_at=T0 + timedelta(days=1))
    # quotas 2 833.05 / 333.3 / 166.65; the spare fen goes to the merchant share (D'Hondt)
    assert lines_of(first) == {(f"merchant_payable:{A}", 2_834, 0),
                               ("platform_commission", 333, 0),
                               ("public_service_fund", 166, 0),
                               ("provider_clearing", 0, 3_333)}
    post_refund(reference="re_2", sale_reference="ord_1", amount_fen=3_333, occurred_at=T0)
    before = row_count()
    with pytest.raises(RefundExceedsCaptured) as exc:
        post_refund(reference="re_3", sale_reference="ord_1", amount_fen=3_335,
                    occurred_at=T0)
    assert exc.value.extra["refundable_fen"] == 3_334 and row_count() == before
    post_refund(reference="re_3", sale_reference="ord_1", amount_fen=3_334, occurred_at=T0)
    with pytest.raises(RefundExceedsCaptured):
        post_refund(reference="re_4", sale_reference="ord_1", amount_fen=1, occurred_at=T0)
    # fully refunded: every account is back to zero
    assert set(balances.balances("CNY").values()) == {0}


def test_payouts_settle_payables_and_never_go_below_zero(books: Flask) -> None:
    sale()
    sale("ord_2", gross=2_000, org=B)                 # B: 2 000 − 200 − 100 = 1 700
    payout = post_payout(reference="po_1", merchant_org_id=A, amount_fen=8_000,
                         currency="CNY", occurred_at=T0)
    assert lines_of(payout) == {(f"merchant_payable:{A}", 8_000, 0), ("payouts", 0, 8_000)}
    with pytest.raises(PayoutExceedsPayable) as exc:
        post_payout(reference="po_2", merchant_org_id=A, amount_fen=501, currency="CNY",
                    occurred_at=T0)
    assert exc.value.extra["payable_fen"] == 500
    with pytest.raises(PayoutExceedsPayable):   # nothing payable in another currency
        post_payout(reference="po_3", merchant_org_id=B, amount_fen=1, currency="USD",
                    occurred_at=T0)
    assert (balances.payable(A, "CNY"), balances.payable(B, "CNY")) == (500, 1_700)


def test_a_refund_after_a_payout_is_borne_on_the_refunds_account(books: Flask) -> None:
    sale()
    post_payout(reference="po_1", merchant_org_id=A, amount_fen=8_000, currency="CNY",
                occurred_at=T0)
    refund = post_refund(reference="re_1", sale_reference="ord_1", amount_fen=10_000,
                         occurred_at=T0)
    # merchant share 8 500: 500 still payable, 8 000 already paid out → refunds
    assert lines_of(refund) == {(f"merchant_payable:{A}", 500, 0), ("refunds", 8_000, 0),
                                ("platform_commission", 1_000, 0),
                                ("public_service_fund", 500, 0),
                                ("provider_clearing", 0, 10_000)}
    assert balances.payable(A, "CNY") == 0
    assert balances.trial_balance() == {"CNY": 0}


def test_each_reference_is_posted_once_per_kind(books: Flask) -> None:
    first = sale()
    with pytest.raises(AlreadyPosted) as exc:
        sale(gross=5)
    assert exc.value.transaction_id == first.id and exc.value.status == 409
    post_refund(reference="ord_1", sale_reference="ord_1", amount_fen=1, occurred_at=T0)
    with pytest.raises(AlreadyPosted):
        post_refund(reference="ord_1", sale_reference="ord_1", amount_fen=1, occurred_at=T0)


@pytest.mark.parametrize(("change", "field"), [
    ({"currency": "cny"}, "currency"), ({"currency": "CNYX"}, "currency"),
    ({"occurred_at": T0.replace(tzinfo=None)}, "occurred_at"),
    ({"gross": 0}, "gross_fen"), ({"gross": -5}, "gross_fen"), ({"gross": True}, "gross_fen"),
    ({"gross": 10.0}, "gross_fen"), ({"reference": ""}, "reference"),
    ({"reference": "x" * 65}, "reference"), ({"org": "org id"}, "merchant_org_id"),
    ({"org": "org_doesnotexist0000"}, "merchant_org_id"),
])
def test_invalid_postings_are_refused_before_anything_is_written(
        books: Flask, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        sale(**change)
    assert field in exc.value.errors and row_count() == 0


def test_refunding_an_unknown_sale_is_not_found(books: Flask) -> None:
    with pytest.raises(NotFound):
        post_refund(reference="re_1", sale_reference="ord_x", amount_fen=1, occurred_at=T0)


def test_an_unbalanced_rule_is_never_stored(books: Flask, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setattr(journal, "sale_lines", lambda org, s: [
        Line("provider_clearing", debit_fen=s.gross_fen), Line("platform_commission",
                                                               credit_fen=1)])
    with pytest.raises(Unbalanced):
        sale()
    assert row_count() == 0


def test_postings_do_not_commit(books: Flask) -> None:
    sale()
    db.session.rollback()
    assert row_count() == 0
    assert db.session.scalar(select(func.count()).select_from(JournalTransaction)) == 0
