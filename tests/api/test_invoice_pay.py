"""``POST /revenue/invoices/{id}/pay`` (issue 6 §1, §3) with the in-memory gateway: the buyer pays
a due invoice, the sale is posted exactly once however many reports follow (the route, a
webhook, ``payments sync``), a decline is a 402 problem that leaves the invoice due,
``Idempotency-Key`` replays, a lost answer is replayed by sync, and who may pay."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.payments.errors import PaymentProviderUnavailable
from marketplace.revenue.billing_models import InvoiceAttempt, PayStatus
from marketplace.revenue.models import JournalTransaction, TransactionKind
from tests.api.billing_world import metered_license, pay_invoice, run, use
from tests.api.payment_world import deliver, event
from tests.api.world import World, build_world

DECLINED, GOOD, THREE_DS = "pm_card_visa_chargeDeclined", "pm_card_visa", \
    "pm_card_authenticationRequired"
_months = itertools.count()


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def due_invoice(world: World, calls: int = 340, actor: str = "buyer") -> dict[str, Any]:
    """A fresh due invoice of ``actor``'s organisation: (calls − 100) × 5 fen, in a month of
    its own (1990 onwards, so no other test's license has usage in it)."""
    n = next(_months)
    period = f"{1990 + n // 12}-{n % 12 + 1:02d}"
    license_id = metered_license(world, actor=actor, since=datetime(1980, 1, 1, tzinfo=UTC))
    use(world, license_id, datetime(1990 + n // 12, n % 12 + 1, 9, tzinfo=UTC), calls)
    assert run(world, period).status_code == 200
    items = world.ok("GET", f"/revenue/invoices?period={period}&status=due", world[actor])
    [invoice] = [i for i in items["items"] if i["agreement_id"] == license_id]
    return invoice


def sales(world: World, reference: str) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(JournalTransaction).where(
            JournalTransaction.kind == TransactionKind.sale,
            JournalTransaction.reference == reference))


def status(world: World, invoice_id: str) -> str:
    return world.ok("GET", f"/revenue/invoices/{invoice_id}", world["buyer"])["status"]


def test_paying_settles_once_despite_a_later_webhook_and_sync(world: World) -> None:
    from marketplace.payments.sync import sync

    invoice = due_invoice(world)
    paid = pay_invoice(world, invoice["id"], key="pay-1")
    assert paid.status_code == 200 and "Idempotent-Replayed" not in paid.headers
    body = paid.get_json()
    assert (body["status"], body["amount_fen"]) == ("paid", 1_200)
    assert body["journal_transaction_id"] and body["paid_at"]
    assert sales(world, invoice["id"]) == 1
    succeeded = event("payment_intent.succeeded", {
        "id": invoice["payment_intent_id"], "amount": 1_200,
        "metadata": {"invoice_id": invoice["id"]}})
    assert deliver(world, succeeded).get_json()["outcome"] == "applied"
    with world.app.app_context():
        assert sync()["invoices_paid"] == 0
    again = pay_invoice(world, invoice["id"], key="pay-1")  # the same request: replayed
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["journal_transaction_id"] == body["journal_transaction_id"]
    fresh = pay_invoice(world, invoice["id"], key="pay-2")
    assert fresh.status_code == 409 and fresh.mimetype == "application/problem+json"
    assert sales(world, invoice["id"]) == 1
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert report["exceptions"] == [] and report["journal_sales"] == 1
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True


def test_a_declined_card_is_402_and_leaves_the_invoice_due(world: World) -> None:
    invoice = due_invoice(world)
    declined = pay_invoice(world, invoice["id"], DECLINED, key="card-a")
    problem = declined.get_json()
    assert declined.status_code == 402 and declined.mimetype == "application/problem+json"
    assert (problem["code"], problem["decline_code"]) == ("card_declined", "generic_decline")
    assert status(world, invoice["id"]) == "due" and sales(world, invoice["id"]) == 0
    replayed = pay_invoice(world, invoice["id"], DECLINED, key="card-a")
    assert replayed.status_code == 402  # the same key replays the decline, charges nothing
    other = pay_invoice(world, invoice["id"], GOOD, key="card-a")
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    assert pay_invoice(world, invoice["id"], GOOD, key="card-b").get_json()["status"] == "paid"
    assert sales(world, invoice["id"]) == 1


def test_a_payment_waiting_for_authentication_is_settled_by_sync(world: World) -> None:
    from marketplace.payments.sync import sync

    invoice = due_invoice(world)
    waiting = pay_invoice(world, invoice["id"], THREE_DS)
    assert waiting.status_code == 200 and waiting.get_json()["status"] == "due"
    world.app.extensions["elx.payments"].set_status(invoice["payment_intent_id"], "succeeded")
    with world.app.app_context():
        assert sync()["invoices_paid"] == 1
        assert db.session.scalars(select(InvoiceAttempt.status)).all() == [PayStatus.succeeded]
    assert status(world, invoice["id"]) == "paid" and sales(world, invoice["id"]) == 1


def test_a_lost_answer_blocks_other_attempts_until_replayed(world: World) -> None:
    from marketplace.payments.sync import sync

    invoice = due_invoice(world)
    fake = world.app.extensions["elx.payments"]
    real = fake.pay_invoice

    def lost(*args: Any) -> Any:
        real(*args)  # the provider charged the card, the answer never arrived
        raise PaymentProviderUnavailable()

    fake.pay_invoice = lost
    response = pay_invoice(world, invoice["id"], key="lost")
    assert response.status_code == 503 and response.headers["Retry-After"]
    fake.pay_invoice = real
    assert pay_invoice(world, invoice["id"], key="impatient").status_code == 409
    assert status(world, invoice["id"]) == "due"
    with world.app.app_context():
        sync()
    assert status(world, invoice["id"]) == "paid" and sales(world, invoice["id"]) == 1
    replay = pay_invoice(world, invoice["id"], key="lost")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def test_who_may_pay_and_what_is_refused(world: World) -> None:
    invoice = due_invoice(world)
    theirs = due_invoice(world, actor="rival_buyer")
    for actor in ("rival_buyer", "outsider"):
        assert pay_invoice(world, invoice["id"], actor=actor).status_code == 404
    for actor in ("merchant", "operator"):
        assert pay_invoice(world, invoice["id"], actor=actor).status_code == 403
    assert pay_invoice(world, theirs["id"]).status_code == 404
    assert pay_invoice(world, "inv_nope").status_code == 404
    path = f"/revenue/invoices/{invoice['id']}/pay"
    no_key = world.call("POST", path, world["buyer"], json={"payment_method": GOOD})
    assert no_key.status_code == 400
    bad = world.call("POST", path, world["buyer"], json={"payment_method": "pm card"},
                     headers={"Idempotency-Key": "k"})
    assert bad.status_code == 422 and "payment_method" in bad.get_json()["errors"]
    assert status(world, invoice["id"]) == "due" and sales(world, invoice["id"]) == 0


def test_a_zero_invoice_cannot_be_paid(world: World) -> None:
    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 5, 2, tzinfo=UTC), 40)  # within the quota
    run(world, "2024-05")
    [zero] = world.ok("GET", "/revenue/invoices?period=2024-05", world["buyer"])["items"]
    response = pay_invoice(world, zero["id"])
    assert response.status_code == 409 and response.get_json()["state"] == "zero"


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([DECLINED, GOOD, THREE_DS, "replay", "webhook", "sync",
                                 "provider_captures"]), min_size=1, max_size=6))
def test_any_sequence_posts_one_sale_exactly_when_paid(world: World, steps: list[str]) -> None:
    """Invariant over random pay attempts, replays, provider-side captures, webhooks and syncs:
    the invoice's sale is posted once if it is paid and never otherwise, and paid is final."""
    from marketplace.payments.sync import sync

    invoice, fake = due_invoice(world), world.app.extensions["elx.payments"]
    intent, keys, was_paid = invoice["payment_intent_id"], itertools.count(), False
    sent: list[tuple[str, str, int]] = []  # (key, method, status) of each attempt
    for step in steps:
        captured = fake.intents[intent].status == "succeeded"
        if step in (DECLINED, GOOD, THREE_DS):
            key = f"k{next(keys)}"
            code = pay_invoice(world, invoice["id"], step, key=key).status_code
            assert code == (409 if was_paid else 200 if captured or step != DECLINED else 402)
            sent.append((key, step, code))
        elif step == "replay" and sent:  # the same request again: the same answer
            key, method, code = sent[0]
            assert pay_invoice(world, invoice["id"], method, key=key).status_code == code
        elif step == "provider_captures" and not was_paid:
            fake.set_status(intent, "succeeded")
        elif step == "webhook" and captured:
            deliver(world, event("payment_intent.succeeded", {
                "id": intent, "metadata": {"invoice_id": invoice["id"]}}))
        elif step == "sync":
            with world.app.app_context():
                sync()
        is_paid = status(world, invoice["id"]) == "paid"
        assert sales(world, invoice["id"]) == int(is_paid)
        assert is_paid or not was_paid  # paid is final
        if step == GOOD and not was_paid:
            assert is_paid
        was_paid = is_paid


def test_concurrent_payments_with_different_keys_capture_once(world: World) -> None:
    invoice = due_invoice(world)
    codes: list[int] = []
    barrier = threading.Barrier(4)

    def one(n: int) -> None:
        barrier.wait()
        codes.append(pay_invoice(world, invoice["id"], key=f"tab-{n}").status_code)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409], codes  # the row lock serialises them
    assert status(world, invoice["id"]) == "paid" and sales(world, invoice["id"]) == 1
