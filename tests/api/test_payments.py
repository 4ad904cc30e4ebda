"""Payments, refunds, webhooks and the revenue/audit routes through the API with the in-memory
gateway (issue 6 §2-§5); the same flows against a real localstripe process are in
``tests/integration/test_payments_flow.py``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select, text

from marketplace.db import db
from marketplace.revenue.models import JournalTransaction
from tests.api.payment_world import (
    deliver,
    event,
    exercise_routes,
    paid_order,
    pay,
    pending_order,
    refund,
)
from tests.api.world import World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def postings(world: World, kind: str | None = None) -> int:
    with world.app.app_context():
        query = select(func.count()).select_from(JournalTransaction)
        if kind:
            query = query.where(JournalTransaction.kind == kind)
        return db.session.scalar(query)


def test_a_successful_payment_activates_and_posts_the_sale(world: World) -> None:
    paid = paid_order(world, 10_000)
    assert (paid["state"], paid["license"]["state"]) == ("paid", "active")
    assert paid["payment"]["reference"].startswith("pi_fake_")
    journal = world.ok("GET", "/revenue/journal", world["auditor"])["items"]
    [sale] = journal
    assert (sale["kind"], sale["reference"]) == ("sale", paid["id"])
    shares = {line["account"]: line["credit_fen"] for line in sale["lines"]}
    # the default schedule: 10 % platform, 5 % public service, minimum 100 fen
    assert shares["platform_commission"] == 1_000 and shares["public_service_fund"] == 500
    assert shares[f"merchant_payable:{world['merchant'].org_id}"] == 8_500
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True
    again = pay(world, paid["id"])
    assert again.status_code == 409 and postings(world) == 1


def test_a_declined_card_is_402_and_the_license_stays_pending(world: World) -> None:
    placed = pending_order(world)
    declined = pay(world, placed["id"], "pm_card_visa_chargeDeclined")
    assert declined.status_code == 402
    assert declined.get_json()["decline_code"] == "generic_decline"
    now = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert (now["state"], now["license"]["state"]) == ("awaiting_payment", "pending_payment")
    assert postings(world) == 0
    assert pay(world, placed["id"]).status_code == 200  # the buyer may pay again
    assert postings(world, "sale") == 1


def test_only_the_buying_organisation_pays(world: World) -> None:
    placed = pending_order(world)
    assert pay(world, placed["id"], actor="rival_buyer").status_code == 404
    assert pay(world, placed["id"], actor="merchant").status_code == 404
    bad = world.call("POST", f"/orders/{placed['id']}/pay", world["buyer"],
                     json={"payment_method": "pm card"})
    assert bad.status_code == 422 and postings(world) == 0


def test_partial_then_full_refund_reverses_pro_rata_and_terminates(world: World) -> None:
    paid = paid_order(world, 10_000)
    part = refund(world, paid["id"], 4_000, key="r-1")
    assert part.status_code == 201 and part.get_json()["license_state"] == "active"
    replay = refund(world, paid["id"], 4_000, key="r-1")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json()["id"] == part.get_json()["id"]
    assert refund(world, paid["id"], 9_000, key="r-1").status_code == 422
    assert refund(world, paid["id"], 6_001).status_code == 409
    rest = refund(world, paid["id"], key="r-2")
    assert rest.status_code == 201 and rest.get_json()["amount_fen"] == 6_000
    assert rest.get_json()["license_state"] == "terminated"
    assert refund(world, paid["id"]).status_code == 409  # nothing left
    balance = world.ok("GET", "/revenue/trial-balance", world["auditor"])
    accounts = {a["account"]: a["balance_fen"] for a in balance["accounts"]}
    assert balance["balanced"] and accounts["provider_clearing"] == 0
    assert accounts["platform_commission"] == 0 and accounts["public_service_fund"] == 0
    assert refund(world, paid["id"], actor="auditor").status_code == 403


def test_a_refund_in_flight_at_the_provider_counts_against_what_is_refundable(
        world: World) -> None:
    """A second refund (another key) while the first is still pending at the provider (asked,
    not yet answered, so not booked) must not be sent for the same money."""
    from marketplace.clock import utcnow
    from marketplace.db import db
    from marketplace.payments.models import Refund, RefundStatus

    paid = paid_order(world, 10_000)
    with world.app.app_context():
        db.session.add(Refund(id="rfd_inflightinflight", order_id=paid["id"],
                              idempotency_key="r-a", request_fingerprint="0" * 64,
                              amount_fen=7_000, currency="CNY", reason="in flight",
                              status=RefundStatus.pending, created_by=None,
                              created_at=utcnow()))
        db.session.commit()
    over = refund(world, paid["id"], 7_000, key="r-b")
    assert over.status_code == 409 and over.get_json()["refundable_fen"] == 3_000
    assert refund(world, paid["id"], 3_000, key="r-c").status_code == 201
    assert postings(world, "refund") == 1  # only the refund that was sent got booked


def test_webhooks_are_verified_stored_once_and_idempotent(world: World) -> None:
    placed = pending_order(world)
    intent = {"id": "pi_webhook_1", "object": "payment_intent", "status": "succeeded",
              "amount": 50_000, "metadata": {"order_id": placed["id"]}}
    payload = event("payment_intent.succeeded", intent, "evt_same")
    assert deliver(world, payload, secret="whsec_forged").status_code == 400
    stale = deliver(world, payload, at=int(time.time()) - 600)
    assert stale.status_code == 400 and "stale" in stale.get_json()["type"]
    assert deliver(world, payload, header="").status_code == 400
    assert postings(world) == 0
    first = deliver(world, payload)
    assert first.get_json() == {"received": True, "duplicate": False, "outcome": "applied"}
    assert deliver(world, payload).get_json()["duplicate"] is True
    failed = event("payment_intent.payment_failed", {**intent, "status": "canceled"})
    assert deliver(world, failed).status_code == 200  # out of order: changes nothing
    now = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert (now["state"], now["license"]["state"]) == ("paid", "active")
    assert postings(world) == 1
    unknown = event("payment_intent.succeeded", {**intent, "metadata": {}, "id": "pi_other"})
    assert deliver(world, unknown).get_json()["outcome"].startswith("ignored")


def test_lost_answers_are_settled_by_sync_and_unpaid_orders_expire(world: World) -> None:
    from marketplace.payments.sync import sync

    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world)
    real_pay = gateway.pay

    def lost(*args: Any) -> Any:  # the provider charged, but the answer never came back
        from marketplace.payments.errors import PaymentProviderUnavailable

        real_pay(*args)
        raise PaymentProviderUnavailable()

    gateway.pay = lost
    assert pay(world, placed["id"]).status_code == 503
    gateway.pay = real_pay
    assert pay(world, placed["id"]).status_code == 409  # still being settled
    stale = pending_order(world)
    with world.app.app_context():
        db.session.execute(text("UPDATE orders SET created_at = :t WHERE id = :id"),
                           {"t": "2000-01-01 00:00:00", "id": stale["id"]})
        db.session.commit()
        assert sync() == {"attempts_settled": 1, "refunds_retried": 0, "agreements_expired": 1,
                          "invoices_paid": 0}
    assert world.ok("GET", f"/orders/{placed['id']}", world["buyer"])["state"] == "paid"
    expired = world.ok("GET", f"/orders/{stale['id']}", world["buyer"])
    assert (expired["state"], expired["license"]["state"]) == ("unpaid", "expired")
    assert postings(world, "sale") == 1


def test_statements_reconciliation_and_the_audit_pack(world: World) -> None:
    paid = paid_order(world, 10_000)
    refund(world, paid["id"], 2_000)
    merchant = world["merchant"]
    mine = world.ok("GET", "/revenue/statements", merchant)
    assert (mine["merchant_share_fen"], mine["refunds_fen"]) == (8_500, 1_700)
    assert mine["closing_payable_fen"] == 6_800
    assert world.call("GET", f"/revenue/statements?merchant_org_id={merchant.org_id}",
                      world["rival"]).status_code == 403
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert (report["provider_charges"], report["journal_sales"]) == (1, 1)
    assert report["exceptions"] == []
    csv_text = world.call("GET", "/revenue/journal?format=csv", world["auditor"]).get_data(
        as_text=True)
    assert csv_text.splitlines()[0].startswith("transaction_id,kind") and len(
        csv_text.splitlines()) == 1 + 4 + 4  # header, sale, refund
    pack = world.call("GET", "/audit/export", world["auditor"]).get_data(as_text=True)
    sections = [line.split('"section":"')[1].split('"')[0] for line in pack.splitlines()]
    assert sections[0] == "header" and sections[-1] == "end" and "reconciliation" in sections
    assert world.call("GET", "/audit/export", merchant).status_code == 403


def test_a_captured_payment_missing_from_the_journal_is_an_exception(world: World) -> None:
    paid = paid_order(world)
    gateway = world.app.extensions["elx.payments"]
    gateway.intents["pi_stray"] = type(next(iter(gateway.intents.values())))(
        "pi_stray", "succeeded", 777, None)
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert report["exceptions_by_kind"] == {"unknown_charge": 1}
    assert paid["state"] == "paid"


def test_editing_a_closed_day_is_detected_against_the_ledger(world: World) -> None:
    from marketplace.revenue.services import close_day

    paid = paid_order(world, 10_000)
    with world.app.app_context():
        day = db.session.scalar(select(JournalTransaction.day))
        clock = world.app.extensions["elx.clock"]
        world.app.extensions["elx.clock"] = type("Later", (), {
            "now": lambda self: clock.now().replace(year=clock.now().year + 1)})()
        try:
            close_day(day)
        finally:
            world.app.extensions["elx.clock"] = clock
    intact = world.ok("GET", "/revenue/reconciliation", world["auditor"])["closed_days"]
    assert [d["intact"] for d in intact] == [True]
    with world.app.app_context():  # someone edits a line directly in the database
        db.session.execute(text(
            "UPDATE journal_lines SET credit_fen = credit_fen + 1 WHERE account = "
            "'platform_commission'"))
        db.session.execute(text(
            "UPDATE journal_lines SET credit_fen = credit_fen - 1 WHERE account = "
            "'public_service_fund'"))
        db.session.commit()
    after = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert [d["intact"] for d in after["closed_days"]] == [False]
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True
    assert paid["state"] == "paid"


def test_fee_schedules_are_set_by_operators_and_split_later_sales(world: World) -> None:
    body = {"currency": "CNY", "effective_from": "2020-01-01T00:00:00+00:00",
            "platform_bps": 2000, "public_service_bps": 0, "minimum_fee_fen": 0}
    assert world.call("POST", "/revenue/fee-schedules", world["auditor"],
                      json=body).status_code == 403
    world.ok("POST", "/revenue/fee-schedules", world["operator"], json=body, status=201)
    assert world.call("POST", "/revenue/fee-schedules", world["operator"],
                      json=body).status_code == 409
    assert world.call("POST", "/revenue/fee-schedules", world["operator"],
                      json={**body, "platform_bps": 10_001}).status_code == 422
    paid_order(world, 10_000)
    [sale] = world.ok("GET", "/revenue/journal", world["auditor"])["items"]
    shares = {line["account"]: line["credit_fen"] for line in sale["lines"]}
    assert shares["platform_commission"] == 2_000 and "public_service_fund" not in shares


def test_every_route_answers_within_the_contract(world: World) -> None:
    exercise_routes(world)
