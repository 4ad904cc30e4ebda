"""Data for the assessor and operator console tests (issue 8 §4–5), built through the real API
with the builders of tests/api: a valued element, listings priced inside and outside its
valuation range, and an order with an active license."""

from __future__ import annotations

from typing import Any

from tests.api import order_world
from tests.api.listing_world import advance, draft
from tests.api.valuation_world import COST, build_element, value
from tests.api.world import World


def valued_element(world: World) -> tuple[str, dict[str, Any]]:
    """An element of merchant org A with one cost valuation (cached per world)."""
    cached = getattr(world, "staff_valued", None)
    if cached is None:
        element_id = build_element(world)
        cached = (element_id, value(world, element_id, {"methods": COST}))
        world.staff_valued = cached  # type: ignore[attr-defined]
    return cached


def valuation_path(world: World) -> str:
    return f"/assessor/valuations/{valued_element(world)[1]['id']}"


def submitted(world: World, element_id: str, price_fen: int) -> str:
    """A submitted listing of ``element_id`` with one one-off plan at ``price_fen``."""
    listing = draft(world, element_id, plans=[{"kind": "one_off", "price_fen": price_fen}])
    advance(world, listing["id"], "submit")
    return listing["id"]


def active_order(world: World) -> dict[str, Any]:
    """A fresh free order of the buyer, whose license is active at once."""
    target = order_world.listing(world, order_world.FREE)
    return order_world.order(world, target["id"], target["plans"][0]["id"])
