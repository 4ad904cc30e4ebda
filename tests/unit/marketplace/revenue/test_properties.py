"""Invariants of the journal over random sequences of sales, partial and full refunds and
payouts in two currencies (issue 6 acceptance), checked after every step:

* Σ debits = Σ credits per currency (trial balance) and per transaction;
* no merchant payable is ever below zero;
* the refunds of a sale never exceed its captured gross (over-asks are refused);
* each sale's merchant + platform + public-service shares add to its gross, to the fen, and
  its refunds reverse no share by more than it had — all of it once fully refunded;
* the books agree with an independent tally of what succeeded (clearing = sales − refunds,
  payouts = paid).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.revenue import balances
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
from marketplace.revenue.postings import (
    MERCHANT_PREFIX,
    PAYOUTS,
    PLATFORM_COMMISSION,
    PROVIDER_CLEARING,
    PUBLIC_SERVICE_FUND,
    REFUNDS,
)
from tests.unit.marketplace.revenue.conftest import MERCHANTS, T0

CURRENCIES = ("CNY", "USD")
fees = st.integers(0, 10_000).flatmap(
    lambda p: st.builds(Fees, st.just(p), st.integers(0, 10_000 - p), st.integers(0, 5_000)))


def _category(account: str) -> str:
    if account.startswith(MERCHANT_PREFIX) or account == REFUNDS:
        return "merchant"
    return account


class Books(RuleBasedStateMachine):
    app: Flask

    def __init__(self) -> None:
        super().__init__()
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.sales: dict[str, tuple[str, int]] = {}     # reference → (currency, gross)
        self.refunded: dict[str, int] = defaultdict(int)
        self.clearing: dict[str, int] = defaultdict(int)
        self.paid: dict[str, int] = defaultdict(int)
        self.n = 0

    def teardown(self) -> None:
        db.session.rollback()
        self.ctx.pop()

    def _ref(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_{self.n}"

    @rule(org=st.sampled_from(MERCHANTS), currency=st.sampled_from(CURRENCIES),
          gross=st.integers(1, 10**9), schedule=fees)
    def sale(self, org: str, currency: str, gross: int, schedule: Fees) -> None:
        reference = self._ref("ord")
        post_sale(reference=reference, merchant_org_id=org, gross_fen=gross,
                  currency=currency, schedule=schedule, occurred_at=T0)
        self.sales[reference] = (currency, gross)
        self.clearing[currency] += gross

    @precondition(lambda self: self.sales)
    @rule(data=st.data(), fraction=st.floats(0.0001, 1.2))
    def refund(self, data: st.DataObject, fraction: float) -> None:
        reference = data.draw(st.sampled_from(sorted(self.sales)))
        currency, gross = self.sales[reference]
        amount = max(1, int(gross * fraction))  # a whole number of fen; float only to draw
        left = gross - self.refunded[reference]
        if amount > left:
            with pytest.raises(RefundExceedsCaptured):
                post_refund(reference=self._ref("re"), sale_reference=reference,
                            amount_fen=amount, occurred_at=T0)
            amount = left
            if not amount:
                return
        post_refund(reference=self._ref("re"), sale_reference=reference, amount_fen=amount,
                    occurred_at=T0)
        self.refunded[reference] += amount
        self.clearing[currency] -= amount

    @rule(org=st.sampled_from(MERCHANTS), currency=st.sampled_from(CURRENCIES),
          share=st.floats(0.0, 1.5))
    def payout(self, org: str, currency: str, share: float) -> None:
        available = balances.payable(org, currency)
        amount = max(1, int(available * share))
        if amount > available:
            with pytest.raises(PayoutExceedsPayable):
                post_payout(reference=self._ref("po"), merchant_org_id=org, amount_fen=amount,
                            currency=currency, occurred_at=T0)
            return
        post_payout(reference=self._ref("po"), merchant_org_id=org, amount_fen=amount,
                    currency=currency, occurred_at=T0)
        self.paid[currency] += amount

    @precondition(lambda self: self.sales)
    @rule(data=st.data())
    def duplicate_sale(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(sorted(self.sales)))
        with pytest.raises(AlreadyPosted):
            post_sale(reference=reference, merchant_org_id=MERCHANTS[0], gross_fen=1,
                      currency="CNY", schedule=Fees(0, 0), occurred_at=T0)

    @invariant()
    def balanced(self) -> None:
        assert set(balances.trial_balance().values()) <= {0}
        unbalanced = db.session.scalar(
            select(func.count()).select_from(
                select(JournalLine.transaction_id).group_by(JournalLine.transaction_id)
                .having(func.sum(JournalLine.debit_fen) != func.sum(JournalLine.credit_fen))
                .subquery()))
        assert unbalanced == 0

    @invariant()
    def payables_never_negative_and_tallies_agree(self) -> None:
        for currency in CURRENCIES:
            for org in MERCHANTS:
                assert balances.payable(org, currency) >= 0
            assert balances.account_balance(PROVIDER_CLEARING, currency) == self.clearing[
                currency]
            assert -balances.account_balance(PAYOUTS, currency) == self.paid[currency]

    @invariant()
    def every_sale_splits_gross_and_refunds_stay_within_it(self) -> None:
        for sale in db.session.scalars(select(JournalTransaction).where(
                JournalTransaction.kind == TransactionKind.sale)):
            shares = balances.sale_split(sale)
            currency, gross = self.sales[sale.reference]
            assert shares.gross_fen == gross and min(shares.shares()) >= 0
            assert sale.currency == currency
            refunded = balances.refunded(sale)
            assert refunded == self.refunded[sale.reference] <= gross
            reversed_: dict[str, int] = defaultdict(int)
            for account, amount in db.session.execute(
                    select(JournalLine.account, JournalLine.debit_fen)
                    .join(JournalTransaction,
                          JournalTransaction.id == JournalLine.transaction_id)
                    .where(JournalTransaction.related_id == sale.id)):
                reversed_[_category(account)] += amount
            original = {"merchant": shares.merchant_fen, PLATFORM_COMMISSION: shares.platform_fen,
                        PUBLIC_SERVICE_FUND: shares.public_service_fen}
            for category, amount in original.items():
                assert reversed_[category] <= amount
                if refunded == gross:
                    assert reversed_[category] == amount


@pytest.fixture
def machine(books_module: Flask) -> type[Books]:
    Books.app = books_module
    return Books


def test_journal_invariants(machine: type[Books]) -> None:
    run_state_machine_as_test(machine, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


def test_sales_never_commit_between_examples(books: Flask) -> None:
    assert db.session.scalar(select(func.count()).select_from(JournalLine)) == 0

