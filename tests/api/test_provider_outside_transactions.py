"""No payment-provider call is made while a database transaction is open (issue 6 §2, §4): on
SQLite every transaction holds the write lock (``BEGIN IMMEDIATE``), on PostgreSQL it pins a
snapshot and whatever it locked — for as long as the provider takes to answer.

A proxy around the in-memory gateway records, at every provider call (and at every charge
the provider's list yields, i.e. at every page), whether the calling session was inside a
transaction; the flows below then pay, refund, reconcile, export, sync, revoke and invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from marketplace.db import db
from marketplace.orders.payments import EXTENSION
from marketplace.payments.errors import PaymentProviderUnavailable
from tests.api.billing_world import metered_license, run, use
from tests.api.payment_world import paid_order, pay, pending_order, refund
from tests.api.world import World, build_world

PROVIDER_CALLS = frozenset({"pay", "retrieve", "cancel", "refund", "open_invoice", "charges",
                            "pay_invoice"})


class Watching:
    """The installed gateway, with a record of (call, transaction open?) per provider call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, bool]] = []

    def _check(self, name: str) -> None:
        self.calls.append((name, db.session().in_transaction()))

    def _pages(self, charges: Iterator[Any]) -> Iterator[Any]:
        self._check("charges")
        for charge in charges:
            yield charge
            self._check("charges")

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in PROVIDER_CALLS:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "charges":
                return self._pages(attr(*args, **kwargs))
            self._check(name)
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    app = app_factory(backend)
    app.extensions[EXTENSION] = Watching(app.extensions[EXTENSION])
    return build_world(app)


def test_no_provider_call_happens_inside_a_transaction(world: World) -> None:
    from marketplace.payments.sync import sync

    watching: Watching = world.app.extensions[EXTENSION]
    fake = watching.inner
    paid = paid_order(world, 10_000)
    assert refund(world, paid["id"], 1_000).status_code == 201
    world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert world.call("GET", "/audit/export", world["auditor"]).status_code == 200
    # a payment whose answer was lost, one waiting for the payer, one of an unpaid order
    lost = pending_order(world)
    real_pay = fake.pay

    def lost_answer(*args: Any) -> Any:
        real_pay(*args)
        raise PaymentProviderUnavailable()

    fake.pay = lost_answer
    assert pay(world, lost["id"]).status_code == 503
    fake.pay = real_pay
    waiting = pending_order(world)
    assert pay(world, waiting["id"], "pm_card_authenticationRequired").status_code == 200
    revoked = pending_order(world)
    assert pay(world, revoked["id"], "pm_card_authenticationRequired").status_code == 200
    world.ok("POST", f"/licenses/{revoked['license']['id']}/revoke", world["operator"],
             json={"reason": "违规"})
    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 1, 5, tzinfo=UTC), 500)
    assert run(world, "2024-01").status_code == 200
    [intent] = [i for i in fake.intents.values() if i.invoice_id]
    fake.set_status(intent.intent_id, "succeeded")
    with world.app.app_context():
        db.session.execute(text("SELECT 1"))  # the caller's own transaction is open…
        db.session.rollback()  # …and ended, as the CLI and the worker's timer do
        assert sync()["attempts_settled"] == 1 and sync()["invoices_paid"] == 0
    assert {name for name, _ in watching.calls} == PROVIDER_CALLS - {"pay_invoice"}
    inside = [name for name, open_ in watching.calls if open_]
    assert inside == [], f"provider called inside a transaction: {inside}"


def test_paying_an_invoice_calls_the_provider_outside_transactions(world: World) -> None:
    """The buyer's invoice payments: a decline, a lost answer replayed by sync, a success."""
    from marketplace.payments.sync import sync
    from tests.api.billing_world import pay_invoice

    watching: Watching = world.app.extensions[EXTENSION]
    fake = watching.inner
    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 1, 5, tzinfo=UTC), 500)
    use(world, license_id, datetime(2024, 2, 5, tzinfo=UTC), 500)
    assert run(world, "2024-01").status_code == 200
    [jan] = world.ok("GET", "/revenue/invoices?period=2024-01", world["buyer"])["items"]
    assert pay_invoice(world, jan["id"], "pm_card_visa_chargeDeclined").status_code == 402
    real = fake.pay_invoice

    def lost_answer(*args: Any) -> Any:
        real(*args)
        raise PaymentProviderUnavailable()

    fake.pay_invoice = lost_answer
    assert pay_invoice(world, jan["id"]).status_code == 503
    fake.pay_invoice = real
    with world.app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        sync()
    assert run(world, "2024-02").status_code == 200
    [feb] = world.ok("GET", "/revenue/invoices?period=2024-02", world["buyer"])["items"]
    with world.app.app_context():  # the run could not open February's intent
        db.session.execute(text("UPDATE revenue_invoices SET intent_id = NULL "
                                "WHERE id = :i"), {"i": feb["id"]})
        db.session.commit()
    assert pay_invoice(world, feb["id"]).get_json()["status"] == "paid"
    assert world.ok("GET", f"/revenue/invoices/{jan['id']}", world["buyer"])["status"] == "paid"
    assert {"pay_invoice", "open_invoice"} <= {n for n, _ in watching.calls}
    inside = [name for name, open_ in watching.calls if open_]
    assert inside == [], f"provider called inside a transaction: {inside}"
