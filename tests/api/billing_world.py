"""Helpers for the payout and metered-invoice tests (issue 6 §3): payouts through the API,
metered licenses with usage rows written where the records API would write them, invoice
runs, and request builders for the authorisation matrix."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from marketplace.access.models import UsageRecord, UsageUnit
from marketplace.db import db
from marketplace.ids import new_id
from marketplace.orders.models import Agreement
from tests.api.order_world import listing, order
from tests.api.payment_world import paid_order
from tests.api.world import World

METERED = {"kind": "metered", "unit": "api_call", "unit_price_fen": 5, "included_quota": 100}
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
_keys = itertools.count()


def payout_key() -> str:
    return f"payout-{next(_keys)}"


def payout(world: World, amount: int, key: str | None = None, actor: str = "operator",
           org: str | None = None, reference: str = "BOC-20261122-0001") -> Any:
    body = {"merchant_org_id": org or world["merchant"].org_id, "amount_fen": amount,
            "currency": "CNY", "bank_reference": reference}
    return world.call("POST", "/revenue/payouts", world[actor], json=body,
                      headers={"Idempotency-Key": key or payout_key()})


def metered_license(world: World, plan: dict[str, Any] | None = None, actor: str = "buyer",
                    since: datetime = LONG_AGO) -> str:
    """An active metered license of ``actor``'s organisation, activated at ``since``."""
    lst = getattr(world, "metered_listings", {})
    key = repr(sorted((plan or METERED).items()))
    if key not in lst:
        lst[key] = listing(world, plan or METERED)
        world.metered_listings = lst  # type: ignore[attr-defined]
    placed = order(world, lst[key]["id"], lst[key]["plans"][0]["id"], actor=actor)
    license_id = placed["license"]["id"]
    with world.app.app_context():
        db.session.query(Agreement).filter(Agreement.id == license_id).update(
            {"valid_from": since})
        db.session.commit()
    return license_id


def use(world: World, license_id: str, at: datetime, n: int = 1,
        unit: UsageUnit = UsageUnit.api_call) -> None:
    """One usage row, as :func:`marketplace.access.gate.meter` writes it."""
    with world.app.app_context():
        db.session.add(UsageRecord(id=new_id("use"), agreement_id=license_id, unit=unit, n=n,
                                   at=at))
        db.session.commit()


def run(world: World, period: str, actor: str = "operator") -> Any:
    return world.call("POST", "/revenue/invoices/run", world[actor], json={"period": period})


def invoice_path(world: World) -> dict[str, Any]:
    """A due invoice of the buyer (one per world), for the authorisation matrix."""
    if not hasattr(world, "matrix_invoice"):
        license_id = metered_license(world)
        use(world, license_id, datetime(2020, 2, 10, tzinfo=UTC), 150)
        assert run(world, "2020-02").status_code == 200
        items = world.ok("GET", "/revenue/invoices?period=2020-02", world["buyer"])["items"]
        world.matrix_invoice = next(  # type: ignore[attr-defined]
            i["id"] for i in items if i["agreement_id"] == license_id)
    return {"path": {"invoice_id": world.matrix_invoice}}  # type: ignore[attr-defined]


def pay_invoice(world: World, invoice_id: str, method: str = "pm_card_visa",
                key: str | None = None, actor: str = "buyer") -> Any:
    return world.call("POST", f"/revenue/invoices/{invoice_id}/pay", world[actor],
                      json={"payment_method": method},
                      headers={"Idempotency-Key": key or payout_key()})


def pay_request(world: World) -> dict[str, Any]:
    """The buyer's due invoice with a card and a fresh key, for the authorisation matrix."""
    return {**invoice_path(world), "json": {"payment_method": "pm_card_visa"},
            "headers": {"Idempotency-Key": payout_key()}}


def payout_request(world: World) -> dict[str, Any]:
    """1 fen of a payable ensured once per world, with a fresh key."""
    if not hasattr(world, "matrix_payable"):
        world.matrix_payable = paid_order(world)  # type: ignore[attr-defined]
    return {"json": {"merchant_org_id": world["merchant"].org_id, "amount_fen": 1,
                     "currency": "CNY", "bank_reference": "matrix"},
            "headers": {"Idempotency-Key": payout_key()}}


def exercise_routes(world: World) -> None:
    """One 2xx call of every payout and invoice operation (needs a payable: call after a
    paid order)."""
    ok, operator, merchant, buyer = world.ok, world["operator"], world["merchant"], world["buyer"]
    assert payout(world, 100).status_code == 201
    ok("GET", "/revenue/payouts", merchant)
    ok("GET", "/revenue/invoices", buyer)
    invoice = invoice_path(world)["path"]["invoice_id"]
    ok("GET", f"/revenue/invoices/{invoice}", buyer)
    ok("POST", "/revenue/invoices/run", operator, json={"period": "2020-02"})
    assert pay_invoice(world, invoice).status_code == 200
