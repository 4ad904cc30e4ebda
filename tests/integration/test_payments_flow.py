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


def wait_for_object(world: World, kind: str, object_id: str, timeout: float = 10) -> Any:
    """The webhook of ``kind`` about ``object_id`` (a late delivery from an earlier test at the
    same localstripe may arrive too; it is about another object)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [e for e in events(world, kind) if e.object_id == object_id]
        if mine:
            [event] = mine
            return event
        time.sleep(0.2)
    raise AssertionError(f"no {kind} webhook about {object_id} arrived")


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


def _card(world: World, number: str) -> str:
    """A card PaymentMethod created at the provider (as the buyer's browser would)."""
    client = world.app.extensions["elx.payments"].client
    return client.transport.request("POST", "/v1/payment_methods", {
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2040,
                                 "cvc": "123"}},
        idempotency_key=f"pm-{number}-{time.monotonic_ns()}")["id"]


def _card_needing_authentication(world: World) -> str:
    """A card whose charge waits for 3-D Secure (localstripe: 4000002760003184)."""
    return _card(world, "4000002760003184")


def test_revoking_an_unpaid_license_cancels_the_intent_at_the_provider(world: World) -> None:
    from sqlalchemy import select

    from marketplace.payments.models import PaymentAttempt

    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world)
    waiting = pay(world, placed["id"], _card_needing_authentication(world))
    assert waiting.status_code == 200 and waiting.get_json()["state"] == "awaiting_payment"
    with world.app.app_context():
        attempt = db.session.scalars(select(PaymentAttempt).where(
            PaymentAttempt.order_id == placed["id"])).one()
        attempt_id, intent_id = attempt.id, attempt.intent_id
    assert gateway.client.retrieve_payment_intent(intent_id)["status"] == "requires_action"
    world.ok("POST", f"/licenses/{placed['license']['id']}/revoke", world["operator"],
             json={"reason": "违反许可用途"})
    assert gateway.client.retrieve_payment_intent(intent_id)["status"] == "canceled"
    with world.app.app_context():
        attempt = db.session.get(PaymentAttempt, attempt_id)
        assert (attempt.status.value, attempt.decline_code) == ("failed", "canceled")
    again = gateway.cancel(intent_id, attempt_id)  # the same Idempotency-Key: replayed
    assert (again.intent_id, again.status) == (intent_id, "failed")
    order = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert (order["state"], order["license"]["state"]) == ("unpaid", "revoked")
    books_are_clean(world)


def test_cancelling_a_captured_intent_reports_it_captured(world: World) -> None:
    gateway = world.app.extensions["elx.payments"]
    paid = paid_order(world, 10_000)
    intent_id = paid["payment"]["reference"]
    state = gateway.cancel(intent_id, "pat_too_late")
    assert (state.intent_id, state.status) == (intent_id, "succeeded")


def test_a_due_invoice_is_paid_at_the_provider_and_booked(world: World) -> None:
    from datetime import UTC, datetime

    from tests.api.billing_world import metered_license, run, use

    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 3, 9, tzinfo=UTC), 340)  # 240 billable × 5 fen
    assert run(world, "2024-03").get_json()["payments_opened"] == 1
    [invoice] = world.ok("GET", "/revenue/invoices", world["buyer"])["items"]
    client = world.app.extensions["elx.payments"].client
    intent = client.retrieve_payment_intent(invoice["payment_intent_id"])
    assert (intent["amount"], intent["metadata"]["invoice_id"]) == (1_200, invoice["id"])
    # the buyer attaches a card and confirms (localstripe cannot do both in one call)
    client.transport.request("POST", f"/v1/payment_intents/{intent['id']}", {
        "payment_method": _card(world, "4242424242424242")}, idempotency_key="buyer-card")
    assert client.confirm_payment_intent("buyer-pays", intent["id"])["status"] == "succeeded"
    wait_for(world, "payment_intent.succeeded")
    deadline = time.monotonic() + 10
    while world.ok("GET", f"/revenue/invoices/{invoice['id']}", world["buyer"])[
            "status"] != "paid":
        assert time.monotonic() < deadline, "the webhook did not settle the invoice"
        time.sleep(0.2)
    report = books_are_clean(world)
    assert (report["provider_charges"], report["journal_sales"]) == (1, 1)


def test_the_buyer_pays_a_due_invoice_through_the_api(world: World) -> None:
    """``POST /revenue/invoices/{id}/pay`` at localstripe: a declined card is 402 and leaves the
    invoice due; a good card pays it and the sale is posted once (the route, then the webhook
    and ``payments sync``); the reconciliation finds no exception."""
    from datetime import UTC, datetime

    from marketplace.payments.sync import sync
    from tests.api.billing_world import metered_license, pay_invoice, run, use

    use(world, metered_license(world), datetime(2024, 4, 9, tzinfo=UTC), 340)
    assert run(world, "2024-04").get_json()["payments_opened"] == 1
    [invoice] = world.ok("GET", "/revenue/invoices", world["buyer"])["items"]
    declined = pay_invoice(world, invoice["id"], "pm_card_visa_chargeDeclined", key="first")
    assert declined.status_code == 402 and declined.mimetype == "application/problem+json"
    assert declined.get_json()["decline_code"]
    assert world.ok("GET", f"/revenue/invoices/{invoice['id']}", world["buyer"])[
        "status"] == "due"
    wait_for(world, "payment_intent.payment_failed")
    # localstripe cannot confirm an intent again after a decline (Stripe can): a fresh one
    fresh = _fresh_due_invoice(world)
    paid = pay_invoice(world, fresh["id"], _card(world, "4242424242424242"), key="second")
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid" and paid.get_json()["journal_transaction_id"]
    delivered = wait_for_object(world, "payment_intent.succeeded", fresh["payment_intent_id"])
    assert delivered.outcome == "applied"  # applied again: found paid, nothing posted
    with world.app.app_context():
        sync()
    client = world.app.extensions["elx.payments"].client
    assert client.retrieve_payment_intent(fresh["payment_intent_id"])["status"] == "succeeded"
    report = books_are_clean(world)  # the declined charge and the captured one; one sale
    assert (report["provider_charges"], report["journal_sales"]) == (2, 1)
    again = pay_invoice(world, fresh["id"], key="third")
    assert again.status_code == 409


def _fresh_due_invoice(world: World) -> dict[str, Any]:
    from datetime import UTC, datetime

    from tests.api.billing_world import metered_license, run, use

    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 5, 9, tzinfo=UTC), 300)
    assert run(world, "2024-05").status_code == 200
    items = world.ok("GET", "/revenue/invoices?period=2024-05&status=due", world["buyer"])
    [invoice] = [i for i in items["items"] if i["agreement_id"] == license_id]
    return invoice
