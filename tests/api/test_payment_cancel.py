"""Revoking a license still awaiting payment cancels its open PaymentIntent at the provider
(issue 6 §5), with the in-memory gateway; ``payments sync`` cancels what the revoke could not.
The same against a real localstripe process is in ``tests/integration/test_payments_flow.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.payments.errors import PaymentProviderUnavailable
from marketplace.payments.models import PaymentAttempt
from tests.api.payment_world import pay, pending_order
from tests.api.world import World, build_world

WAITING = "pm_card_authenticationRequired"  # the payer must still authenticate: pending


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def attempts(world: World, order_id: str) -> list[tuple[str, str, str | None, str | None]]:
    with world.app.app_context():
        return [(a.id, a.status.value, a.intent_id, a.decline_code) for a in db.session.scalars(
            select(PaymentAttempt).where(PaymentAttempt.order_id == order_id))]


def revoke(world: World, license_id: str) -> Any:
    return world.ok("POST", f"/licenses/{license_id}/revoke", world["operator"],
                    json={"reason": "违反许可用途"})


def test_revoking_an_unpaid_license_cancels_its_payment_intent(world: World) -> None:
    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world)
    waiting = pay(world, placed["id"], WAITING)
    assert waiting.status_code == 200 and waiting.get_json()["state"] == "awaiting_payment"
    [(attempt_id, status, intent_id, _code)] = attempts(world, placed["id"])
    assert status == "pending" and gateway.intents[intent_id].status == "pending"
    assert revoke(world, placed["license"]["id"])["state"] == "revoked"
    assert gateway.cancelled == {intent_id: attempt_id}  # Idempotency-Key: the attempt's
    assert gateway.intents[intent_id].status == "failed"
    assert attempts(world, placed["id"]) == [(attempt_id, "failed", intent_id, "canceled")]
    order = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert (order["state"], order["license"]["state"]) == ("unpaid", "revoked")
    assert world.ok("GET", "/revenue/journal", world["auditor"])["items"] == []


def test_revoking_a_paid_license_cancels_nothing(world: World) -> None:
    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world)
    assert pay(world, placed["id"]).status_code == 200
    revoke(world, placed["license"]["id"])
    assert gateway.cancelled == {}


def test_a_payment_captured_before_the_cancel_is_booked_not_lost(world: World) -> None:
    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world, 10_000)
    pay(world, placed["id"], WAITING)
    [(_attempt, _status, intent_id, _code)] = attempts(world, placed["id"])
    gateway.set_status(intent_id, "succeeded")  # the payer authenticated just in time
    revoke(world, placed["license"]["id"])
    assert attempts(world, placed["id"])[0][1] == "succeeded"
    [sale] = world.ok("GET", "/revenue/journal", world["auditor"])["items"]
    assert (sale["kind"], sale["reference"]) == ("sale", placed["id"])
    order = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert order["license"]["state"] == "revoked"  # refunding it is the operator's call


def test_sync_cancels_what_the_revoke_could_not(world: World) -> None:
    from marketplace.payments.sync import sync

    gateway = world.app.extensions["elx.payments"]
    placed = pending_order(world)
    pay(world, placed["id"], WAITING)
    [(attempt_id, _status, intent_id, _code)] = attempts(world, placed["id"])
    real_cancel = gateway.cancel

    def unreachable(*_args: Any) -> Any:
        raise PaymentProviderUnavailable()

    gateway.cancel = unreachable
    revoke(world, placed["license"]["id"])  # the revoke stands; the intent is still open
    assert attempts(world, placed["id"])[0][1] == "pending"
    gateway.cancel = real_cancel
    with world.app.app_context():
        assert sync()["attempts_settled"] == 1
    assert gateway.cancelled == {intent_id: attempt_id}
    assert attempts(world, placed["id"]) == [(attempt_id, "failed", intent_id, "canceled")]
