"""The auditor's reads of the journal (issue 8 §6) over random books — sales, refunds (some after
a payout, so the platform bears part) and payouts on random days in two currencies:

* the revenue split of any period: per month, merchant + platform + public-service + borne
  refunds = gross captured − refunded; and each share equals an independent tally of the
  posted lines, to the fen;
* a filtered journal read page by page (any page size) yields exactly the filtered stream, and
  the stream holds exactly the lines a plain-Python filter of every line selects.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.db import db
from marketplace.revenue import balances, journal_query, splits
from marketplace.revenue.fees import Fees
from marketplace.revenue.journal import (
    PayoutExceedsPayable,
    RefundExceedsCaptured,
    post_payout,
    post_refund,
    post_sale,
)
from marketplace.revenue.journal_query import JournalFilter
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import MERCHANT_PREFIX
from tests.unit.marketplace.revenue.conftest import MERCHANTS, T0

IDS = itertools.count()
SHARE_OF = {"platform_commission": "platform_fen", "public_service_fund": "public_service_fen",
            "refunds": "borne_refunds_fen"}
step = st.tuples(st.sampled_from(["sale", "sale", "payout", "refund"]), st.integers(0, 1),
                 st.sampled_from(["CNY", "USD"]), st.integers(1, 500_000), st.integers(0, 80))


def post(steps: list[tuple[str, int, str, int, int]]) -> None:
    sales: list[tuple[str, int]] = []
    for kind, who, currency, amount, offset in steps:
        at, ref = T0 + timedelta(days=offset), f"ref_{next(IDS)}"
        try:
            if kind == "sale":
                post_sale(reference=ref, merchant_org_id=MERCHANTS[who], gross_fen=amount,
                          currency=currency, schedule=Fees(1_000, 500, 100), occurred_at=at)
                sales.append((ref, amount))
            elif kind == "refund" and sales:
                sale, gross = sales[amount % len(sales)]
                post_refund(reference=ref, sale_reference=sale, amount_fen=1 + amount % gross,
                            occurred_at=at)
            elif kind == "payout":  # all of it, so a later refund is partly the platform's
                owed = balances.payable(MERCHANTS[who], currency)
                post_payout(reference=ref, merchant_org_id=MERCHANTS[who],
                            amount_fen=owed or amount, currency=currency, occurred_at=at)
        except (RefundExceedsCaptured, PayoutExceedsPayable):
            pass


def every_line() -> list[dict[str, Any]]:
    return [{"kind": t.kind, "day": t.day, "currency": t.currency, "account": line.account,
             "debit": line.debit_fen, "credit": line.credit_fen, "merchant": t.merchant_org_id,
             "reference": t.reference, "related": t.related_id, "txn": t.id, "line": line.id}
            for t, line in db.session.execute(select(JournalTransaction, JournalLine).join(
                JournalLine, JournalLine.transaction_id == JournalTransaction.id))]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=1, max_size=14), first=st.integers(0, 80),
       span=st.integers(0, 80))
@example(steps=[("sale", 0, "CNY", 10_000, 0), ("payout", 0, "CNY", 1, 1),  # paid out, then
                ("refund", 0, "CNY", 4_999, 40)], first=0, span=80)  # half refunded
def test_the_split_of_any_period_equals_the_postings(books: Flask, steps: Any, first: int,
                                                     span: int) -> None:
    try:
        post(steps)
        start = (T0 + timedelta(days=first)).date()
        end = start + timedelta(days=span)
        rows = splits.by_month(start, end)
        for row in rows:
            shares = sum(row[k] for k in splits.SHARES)
            assert shares == row["gross_fen"] - row["refunded_fen"]
        tally: dict[tuple[str, str], int] = {}
        for line in every_line():
            if line["kind"] is TransactionKind.payout or not start <= line["day"] <= end:
                continue
            share = "merchant_fen" if line["account"].startswith(MERCHANT_PREFIX) else \
                SHARE_OF.get(line["account"])
            if share:
                key = (line["currency"], share)
                tally[key] = tally.get(key, 0) + line["credit"] - line["debit"]
        summed: dict[tuple[str, str], int] = {}
        for row in rows:
            for share in splits.SHARES:
                summed[(row["currency"], share)] = summed.get((row["currency"], share), 0) + \
                    row[share]
        assert {k: v for k, v in summed.items() if v} == {k: v for k, v in tally.items() if v}
    finally:
        db.session.rollback()


filters = st.builds(
    JournalFilter,
    start=st.none() | st.integers(0, 80).map(lambda d: (T0 + timedelta(days=d)).date()),
    end=st.none() | st.integers(0, 80).map(lambda d: (T0 + timedelta(days=d)).date()),
    account=st.sampled_from([None, "provider_clearing", "merchant_payable:*", "refunds"]),
    kind=st.none() | st.sampled_from(TransactionKind),
    merchant_org_id=st.none() | st.sampled_from(MERCHANTS))


def selects(f: JournalFilter, line: dict[str, Any], sale_refs: dict[str, str]) -> bool:
    return ((f.start is None or line["day"] >= f.start)
            and (f.end is None or line["day"] <= f.end)
            and (f.account is None or line["account"] == f.account or (
                f.account.endswith(":*") and line["account"].startswith(f.account[:-1])))
            and (f.kind is None or line["kind"] is f.kind)
            and (f.merchant_org_id is None or line["merchant"] == f.merchant_org_id)
            and (f.reference is None or f.reference in (
                line["reference"], sale_refs.get(line["related"] or ""))))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=1, max_size=12), f=filters, limit=st.integers(1, 7),
       by_reference=st.booleans())
def test_paging_a_filtered_journal_yields_exactly_the_filtered_lines(
        books: Flask, steps: Any, f: JournalFilter, limit: int, by_reference: bool) -> None:
    try:
        post(steps)
        lines = every_line()
        sale_refs = {line["txn"]: line["reference"] for line in lines
                     if line["kind"] is TransactionKind.sale}
        if by_reference and sale_refs:
            f = JournalFilter(reference=sorted(sale_refs.values())[0])
        streamed = list(journal_query.rows(f))
        expected = {(line["txn"], line["line"]) for line in lines
                    if selects(f, line, sale_refs)}
        by_id = {(line["txn"], line["account"], line["debit"], line["credit"]) for line in lines
                 if (line["txn"], line["line"]) in expected}
        assert len(streamed) == len(expected)
        assert {(r["transaction_id"], r["account"], r["debit_fen"], r["credit_fen"])
                for r in streamed} == by_id
        paged, cursor = [], None
        for _ in range(len(streamed) + 2):
            items, cursor = journal_query.page(f, cursor, limit)
            paged += items
            if cursor is None:
                break
        assert paged == streamed
        days = [date.fromisoformat(r["day"]) for r in streamed]
        assert days == sorted(days)  # posting order
    finally:
        db.session.rollback()
