"""Helpers for the payments and revenue tests: paid orders through the real API, signed webhook
deliveries, and the route exerciser of ``test_openapi.py`` (issue 6)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.api.order_world import ONE_OFF, fresh_key, listing, order
from tests.api.world import World

SECRET = "whsec_elx_dev"
_events = itertools.count()


def pending_order(world: World, price_fen: int = 50_000, actor: str = "buyer") -> dict[str, Any]:
    """A fresh one-off order awaiting payment (a listing per call unless cached)."""
    plans = ({**ONE_OFF, "price_fen": price_fen},)
    cache = getattr(world, "pay_listings", {})
    if price_fen not in cache:
        cache[price_fen] = listing(world, *plans)
        world.pay_listings = cache  # type: ignore[attr-defined]
    lst = cache[price_fen]
    return order(world, lst["id"], lst["plans"][0]["id"], actor=actor)


def pay(world: World, order_id: str, method: str = "pm_card_visa",
        actor: str = "buyer") -> Any:
    return world.call("POST", f"/orders/{order_id}/pay", world[actor],
                      json={"payment_method": method})


def paid_order(world: World, price_fen: int = 50_000) -> dict[str, Any]:
    placed = pending_order(world, price_fen)
    response = pay(world, placed["id"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refund(world: World, order_id: str, amount: int | None = None, key: str | None = None,
           actor: str = "operator") -> Any:
    body: dict[str, Any] = {"reason": "买方申请退款"}
    if amount is not None:
        body["amount_fen"] = amount
    return world.call("POST", f"/orders/{order_id}/refund", world[actor], json=body,
                      headers={"Idempotency-Key": key or fresh_key()})


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps({"id": event_id or f"evt_test_{next(_events)}", "object": "event",
                       "type": kind, "created": int(time.time()),
                       "data": {"object": obj}}).encode()


def deliver(world: World, payload: bytes, secret: str = SECRET,
            at: int | None = None, header: str | None = None) -> Any:
    from marketplace.payments.webhooks import sign

    t = int(time.time()) if at is None else at
    signature = header if header is not None else f"t={t},v1={sign(payload, secret, t)}"
    return world.call("POST", "/payments/webhook", data=payload, content_type="application/json",
                      headers={"Stripe-Signature": signature})


def exercise_routes(world: World) -> None:
    """One 2xx call of every payments and revenue operation (fake gateway)."""
    ok, operator, auditor = world.ok, world["operator"], world["auditor"]
    ok("POST", "/revenue/fee-schedules", operator, status=201, json={
        "currency": "CNY", "effective_from": "2020-01-01T00:00:00+00:00", "platform_bps": 1000,
        "public_service_bps": 500, "minimum_fee_fen": 100})
    ok("GET", "/revenue/fee-schedules", auditor)
    paid = paid_order(world)
    ok("POST", f"/orders/{paid['id']}/refund", operator, status=201, json={
        "amount_fen": 1_000, "reason": "部分退款"}, headers={"Idempotency-Key": fresh_key()})
    assert deliver(world, event("customer.created", {"id": "cus_1"})).status_code == 200
    ok("GET", "/revenue/trial-balance", auditor)
    ok("GET", "/revenue/journal?limit=1", auditor)
    ok("GET", "/revenue/statements", world["merchant"])
    ok("GET", "/revenue/reconciliation", auditor)
    ok("GET", "/audit/export", auditor)
    from tests.api.billing_world import exercise_routes as exercise_billing

    exercise_billing(world)  # payouts and invoices (a payable exists now)



def webhook_request() -> dict[str, Any]:
    """A signed delivery of an event type elx ignores (for the authorisation matrix)."""
    from marketplace.payments.webhooks import sign

    payload, t = event("customer.created", {"id": "cus_matrix"}), int(time.time())
    return {"data": payload, "content_type": "application/json",
            "headers": {"Stripe-Signature": f"t={t},v1={sign(payload, SECRET, t)}"}}
