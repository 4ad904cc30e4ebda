"""Merchant payouts as recorded bank transfers (issue 6 §3): ``POST|GET /revenue/payouts``
through the API with the in-memory gateway — the journal posting, the ledger entry, the
statement, the Idempotency-Key, the 409 that keeps payables at or above zero (also under
concurrent requests), and who sees which payouts."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.revenue import balances
from marketplace.revenue.billing_models import Payout
from marketplace.revenue.models import JournalTransaction, TransactionKind
from tests.api.billing_world import payout, payout_key
from tests.api.payment_world import paid_order
from tests.api.world import World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def counts(world: World) -> tuple[int, int]:
    """(payout rows, journal payout postings)."""
    with world.app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Payout))
        posted = db.session.scalar(select(func.count()).select_from(JournalTransaction).where(
            JournalTransaction.kind == TransactionKind.payout))
        return rows, posted


def payable(world: World) -> int:
    with world.app.app_context():
        return balances.payable(world["merchant"].org_id, "CNY")


def test_a_payout_settles_the_payable_and_shows_in_the_statement(world: World) -> None:
    paid_order(world, 10_000)  # merchant share 8 500 under the default schedule
    response = payout(world, 3_000, reference="ICBC 0042")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["amount_fen"], body["bank_reference"]) == (3_000, "ICBC 0042")
    assert payable(world) == 5_500 and counts(world) == (1, 1)
    [txn] = [t for t in world.ok("GET", "/revenue/journal", world["auditor"])["items"]
             if t["kind"] == "payout"]
    assert (txn["id"], txn["reference"]) == (body["journal_transaction_id"], body["id"])
    assert {(x["account"], x["debit_fen"], x["credit_fen"]) for x in txn["lines"]} == {
        (f"merchant_payable:{world['merchant'].org_id}", 3_000, 0), ("payouts", 0, 3_000)}
    entry = world.ok("GET", f"/ledger/entries/{body['ledger_index']}")
    recorded = json.loads(base64.b64decode(entry["payload"]))
    assert entry["fields"]["kind"] == "revenue.payout.recorded"
    assert (recorded["payout_id"], recorded["amount_fen"]) == (body["id"], 3_000)
    statement = world.ok("GET", "/revenue/statements", world["merchant"])
    assert (statement["payouts_fen"], statement["closing_payable_fen"]) == (3_000, 5_500)
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True


def test_a_payout_beyond_the_payable_is_409_showing_it_and_changes_nothing(
        world: World) -> None:
    paid_order(world, 10_000)
    response = payout(world, 8_501)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["payable_fen"] == 8_500
    assert counts(world) == (0, 0) and payable(world) == 8_500
    assert payout(world, 8_500).status_code == 201 and payable(world) == 0
    assert payout(world, 1).get_json()["payable_fen"] == 0


def test_the_idempotency_key_replays_or_conflicts(world: World) -> None:
    paid_order(world, 10_000)
    merchant = world["merchant"].org_id
    body = {"merchant_org_id": merchant, "amount_fen": 1_000, "currency": "CNY",
            "bank_reference": "B1"}
    missing = world.call("POST", "/revenue/payouts", world["operator"], json=body)
    assert missing.status_code == 400
    first, again = payout(world, 1_000, key="k-1", reference="B1"), \
        payout(world, 1_000, key="k-1", reference="B1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = payout(world, 2_000, key="k-1", reference="B1")
    assert other.status_code == 409 and other.get_json()["payout_id"] == first.get_json()["id"]
    assert counts(world) == (1, 1) and payable(world) == 7_500


BAD_PAYOUTS: list[tuple[dict[str, Any], str]] = [  # (fields over a valid body, field named)
    ({"amount_fen": 0}, "amount_fen"), ({"amount_fen": 1.5}, "amount_fen"),
    ({"currency": "cny"}, "currency"), ({"bank_reference": " "}, "bank_reference"),
    ({"merchant_org_id": "org_doesnotexist00000"}, "merchant_org_id"),
]


def test_bad_payouts_are_422(world: World) -> None:
    """Every case of ``BAD_PAYOUTS`` against one paid order; no case posts anything."""
    paid_order(world, 10_000)
    for body, field in BAD_PAYOUTS:
        case = repr(body)
        full = {"merchant_org_id": world["merchant"].org_id, "amount_fen": 10,
                "currency": "CNY", "bank_reference": "x", **body}
        response = world.call("POST", "/revenue/payouts", world["operator"], json=full,
                              headers={"Idempotency-Key": payout_key()})
        assert response.status_code == 422, (case, response.get_json())
        assert field in response.get_json()["errors"], (case, response.get_json())
        assert counts(world) == (0, 0), case


def test_payouts_are_listed_to_staff_and_to_their_merchant_only(world: World) -> None:
    paid_order(world, 10_000)
    ids = [payout(world, 100 * (i + 1)).get_json()["id"] for i in range(3)]
    first = world.ok("GET", "/revenue/payouts?limit=2", world["auditor"])
    rest = world.ok("GET", f"/revenue/payouts?limit=2&cursor={first['next_cursor']}",
                    world["auditor"])
    assert [p["id"] for p in first["items"] + rest["items"]] == sorted(ids)
    assert rest["next_cursor"] is None
    assert len(world.ok("GET", "/revenue/payouts", world["member"])["items"]) == 3
    assert world.ok("GET", "/revenue/payouts", world["rival"])["items"] == []
    mine = f"/revenue/payouts?merchant_org_id={world['merchant'].org_id}"
    assert len(world.ok("GET", mine, world["operator"])["items"]) == 3
    assert world.call("GET", mine, world["rival"]).status_code == 403
    assert world.call("GET", "/revenue/payouts", world["buyer"]).status_code == 403
    assert world.call("POST", "/revenue/payouts", world["auditor"], json={
        "merchant_org_id": world["merchant"].org_id, "amount_fen": 1, "currency": "CNY",
        "bank_reference": "x"}, headers={"Idempotency-Key": payout_key()}).status_code == 403


def test_concurrent_payouts_never_take_the_payable_below_zero(world: World) -> None:
    paid_order(world, 10_000)  # 8 500 payable: four payouts of 2 000 fit, the rest do not
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def one(key: str) -> None:
        client = world.app.test_client()
        barrier.wait()
        response = client.post("/api/v1/revenue/payouts", headers={
            **world["operator"].headers(), "Idempotency-Key": key}, json={
            "merchant_org_id": world["merchant"].org_id, "amount_fen": 2_000,
            "currency": "CNY", "bank_reference": key})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=one, args=(payout_key(),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 4 + [409] * 4
    assert payable(world) == 500 and counts(world) == (4, 4)
    with world.app.app_context():
        assert set(balances.trial_balance().values()) <= {0}
