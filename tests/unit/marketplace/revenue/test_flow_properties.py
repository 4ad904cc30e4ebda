"""Invariants through the services (issue 6 acceptance): random sequences of orders, payments
(successful and declined), partial and full refunds, duplicated webhooks and payouts (recorded
bank transfers through ``POST /revenue/payouts``, some replayed with their Idempotency-Key),
driven through the API with the in-memory gateway; after every step

The world (and so the books) is shared by the examples, to keep them affordable: the per-order
checks look at the example's own orders, the global ones hold across all of them.

* Σ debits = Σ credits per currency; no merchant payable below zero (a payout beyond it is
  409 showing the payable); one journal posting per recorded payout;
* no order's refunds exceed what was captured (over-asks are 409 and change nothing);
* every sale's shares add to its gross, to the fen;
* the three-way reconciliation has no exceptions, and a license is terminated exactly when
  its payment was refunded in full.
"""

from __future__ import annotations

import itertools
from typing import Any

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
from marketplace.revenue.billing_models import Payout
from marketplace.revenue.models import JournalTransaction, TransactionKind
from tests.api.billing_world import payout as record_payout
from tests.api.payment_world import deliver, event, pay, pending_order, refund
from tests.api.world import build_world

PAYOUT_IDS = itertools.count()  # the world outlives each example: references stay unique
PRICES = st.sampled_from([1, 99, 150, 10_000, 123_457])


def test_service_invariants(app_factory: Any) -> None:
    world = build_world(app_factory())

    class Flows(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.paid: dict[str, int] = {}  # order id → gross
            self.refunded: dict[str, int] = {}
            self.pending: list[str] = []
            self.payouts = 0
            with world.app.app_context():  # the world (and its books) outlive each example
                self.payouts_before = db.session.scalar(
                    select(func.count()).select_from(Payout))
                db.session.rollback()

        @rule(price=PRICES)
        def place(self, price: int) -> None:
            self.pending.append(pending_order(world, price)["id"])

        @precondition(lambda self: self.pending)
        @rule(declined=st.booleans(), data=st.data())
        def pay(self, declined: bool, data: st.DataObject) -> None:
            order_id = data.draw(st.sampled_from(self.pending))
            response = pay(world, order_id, "pm_card_visa_chargeDeclined" if declined
                           else "pm_card_visa")
            assert response.status_code == (402 if declined else 200)
            if not declined:
                self.pending.remove(order_id)
                self.paid[order_id] = response.get_json()["amount_fen"]
                intent = response.get_json()["payment"]["reference"]
                again = event("payment_intent.succeeded", {
                    "id": intent, "amount": self.paid[order_id],
                    "metadata": {"order_id": order_id}})
                assert deliver(world, again).status_code == 200  # a late duplicate

        @precondition(lambda self: self.paid)
        @rule(data=st.data(), fraction=st.fractions(0, 2))
        def refund(self, data: st.DataObject, fraction: Any) -> None:
            order_id = data.draw(st.sampled_from(sorted(self.paid)))
            left = self.paid[order_id] - self.refunded.get(order_id, 0)
            amount = max(1, int(self.paid[order_id] * fraction))
            response = refund(world, order_id, amount)
            if amount <= left:
                assert response.status_code == 201, response.get_json()
                self.refunded[order_id] = self.refunded.get(order_id, 0) + amount
            else:
                assert response.status_code == 409

        @precondition(lambda self: self.paid)
        @rule(amount=st.integers(1, 200_000), replay=st.booleans())
        def payout(self, amount: int, replay: bool) -> None:
            """A recorded bank transfer through ``POST /revenue/payouts``."""
            merchant = world["merchant"].org_id
            with world.app.app_context():
                available = balances.payable(merchant, "CNY")
                db.session.rollback()
            key = f"po-{next(PAYOUT_IDS)}"
            response = record_payout(world, amount, key=key)
            if amount > available:
                assert response.status_code == 409
                assert response.get_json()["payable_fen"] == available
                return
            assert response.status_code == 201, response.get_json()
            self.payouts += 1
            if replay:  # a double click: the same key and body pay nothing more
                again = record_payout(world, amount, key=key)
                assert again.status_code == 201 and again.get_json() == response.get_json()

        @invariant()
        def books_balance(self) -> None:
            with world.app.app_context():
                assert set(balances.trial_balance().values()) <= {0}
                assert balances.payable(world["merchant"].org_id, "CNY") >= 0
                recorded = db.session.scalar(select(func.count()).select_from(Payout))
                posted = db.session.scalar(select(func.count()).select_from(
                    JournalTransaction).where(JournalTransaction.kind == TransactionKind.payout))
                assert recorded == posted == self.payouts_before + self.payouts
                for sale in db.session.scalars(select(JournalTransaction).where(
                        JournalTransaction.kind == TransactionKind.sale,
                        JournalTransaction.reference.in_(list(self.paid)))):
                    assert balances.sale_split(sale).gross_fen == self.paid[sale.reference]
                    assert balances.refunded(sale) == self.refunded.get(sale.reference, 0)
                db.session.rollback()

        @invariant()
        def reconciled(self) -> None:
            if not self.paid:
                return
            report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
            assert report["exceptions"] == []
            for order_id, gross in self.paid.items():
                state = world.ok("GET", f"/orders/{order_id}", world["buyer"])["license"]["state"]
                assert (state == "terminated") == (self.refunded.get(order_id, 0) == gross)

    run_state_machine_as_test(Flows, settings=settings(
        max_examples=4, stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck)))
