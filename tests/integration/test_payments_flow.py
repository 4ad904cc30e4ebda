"""Issue 6 acceptance against a real localstripe process: a successful card, a declined card
(``pm_card_visa_chargeDeclined``), full and partial refunds, a real signed webhook delivery and
its duplicate, a forged signature, a stale timestamp, and a lost answer recovered by
``payments sync`` — each ending with balanced books and a reconciliation without exceptions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from marketplace.db import db
from marketplace.payments.models import PaymentEvent
from tests.api.payment_world import SECRET, deliver, paid_order, pay, pending_order, refund
from tests.api.world import World, build_world
from tests.payments_server import LocalStripe, free_port, localstripe  # noqa: F401


@pytest.fixture
def world(app_factory: Any, localstripe: LocalStripe) -> Iterator[World]:  # noqa: F811
    localstripe.flush()
    app = app_factory(PAYMENTS_GATEWAY="stripe", STRIPE_WEBHOOK_SECRET=SECRET,
                      **localstripe.config)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    localstripe.register_webhook(f"http://127.0.0.1:{port}/api/v1/payments/webhook", SECRET)
    try:
        yield build_world(app)
    finally:
        localstripe.register_webhook("http://127.0.0.1:9/nowhere", SECRET)  # stop deliveries
        server.shutdown()


def books_are_clean(world: World) -> dict[str, Any]:
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"]
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert report["exceptions"] == [], report
    return report


def events(world: World, kind: str) -> list[PaymentEvent]:
    with world.app.app_context():
        rows = db.session.query(PaymentEvent).filter(PaymentEvent.type == kind).all()
        db.session.expunge_all()
        return rows


def wait_for(world: World, kind: str, count: int = 1, timeout: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(found := events(world, kind)) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {kind} webhook arrived")


def test_a_successful_card_then_its_webhook_and_a_duplicate(world: World) -> None:
    paid = paid_order(world, 12_345)
    assert (paid["state"], paid["license"]["state"]) == ("paid", "active")
    assert paid["payment"]["reference"].startswith("pi_")
    [delivered] = wait_for(world, "payment_intent.succeeded")
    assert delivered.outcome == "applied"  # applied again: harmless, nothing posted twice
    again = deliver(world, _raw(delivered))
    assert again.get_json() == {"received": True, "duplicate": True, "outcome": "duplicate"}
    report = books_are_clean(world)
    assert (report["provider_charges"], report["journal_sales"]) == (1, 1)


def _raw(row: PaymentEvent) -> bytes:
    import json

    return json.dumps(row.payload).encode()


def test_a_declined_card_keeps_the_license_pending(world: World) -> None:
    placed = pending_order(world)
    declined = pay(world, placed["id"], "pm_card_visa_chargeDeclined")
    assert declined.status_code == 402
    assert (declined.get_json()["code"], declined.get_json()["decline_code"]) == (
        "card_declined", "generic_decline")
    now = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert now["license"]["state"] == "pending_payment"
    assert pay(world, placed["id"]).status_code == 200
    books_are_clean(world)


def test_full_and_partial_refunds_at_the_provider_and_in_the_journal(world: World) -> None:
    partial = paid_order(world, 20_000)
    assert refund(world, partial["id"], 5_000).status_code == 201
    full = paid_order(world, 30_000)
    done = refund(world, full["id"])
    assert done.status_code == 201 and done.get_json()["provider_refund_id"].startswith("re_")
    assert done.get_json()["license_state"] == "terminated"
    assert world.ok("GET", f"/orders/{partial['id']}", world["buyer"])["license"][
        "state"] == "active"
    report = books_are_clean(world)  # provider amount_refunded == journal refunds, per order
    assert report["provider_charges"] == 2


def test_forged_and_stale_signatures_are_refused(world: World) -> None:
    placed = pending_order(world)
    from tests.api.payment_world import event

    payload = event("payment_intent.succeeded", {"id": "pi_forged", "amount": 50_000,
                                                 "metadata": {"order_id": placed["id"]}})
    assert deliver(world, payload, secret="whsec_attacker").status_code == 400
    assert deliver(world, payload, at=int(time.time()) - 301).status_code == 400
    assert world.ok("GET", f"/orders/{placed['id']}", world["buyer"])["state"] == \
        "awaiting_payment"
    assert [e for e in events(world, "payment_intent.succeeded") if e.object_id == "pi_forged"
            ] == []


def test_a_lost_answer_and_a_lost_webhook_are_recovered_by_sync(
        world: World, localstripe: LocalStripe) -> None:  # noqa: F811
    from marketplace.payments.errors import PaymentProviderUnavailable
    from marketplace.payments.sync import sync

    localstripe.register_webhook("http://127.0.0.1:9/nowhere", SECRET)  # webhooks are lost
    placed = pending_order(world)
    client = world.app.extensions["elx.payments"].client
    create = client.create_payment_intent

    def lost(*args: Any, **kwargs: Any) -> Any:
        create(*args, **kwargs)  # the provider charged the card…
        raise PaymentProviderUnavailable()  # …but its answer never reached us

    client.create_payment_intent = lost
    assert pay(world, placed["id"]).status_code == 503
    client.create_payment_intent = create
    assert world.ok("GET", f"/orders/{placed['id']}", world["buyer"])["state"] == \
        "awaiting_payment"
    with world.app.app_context():
        assert sync()["attempts_settled"] == 1
    assert world.ok("GET", f"/orders/{placed['id']}", world["buyer"])["state"] == "paid"
    report = books_are_clean(world)  # the replayed Idempotency-Key charged only once
    assert report["provider_charges"] == 1
