"""Helpers for the order and license tests: listed listings with chosen plans, their terms,
orders through the real API (each with a fresh Idempotency-Key)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api.listing_world import build_element, listed
from tests.api.world import World

PURPOSE = "internal_analytics"  # the internal-analytics template's only purpose
FREE = {"kind": "free"}
ONE_OFF = {"kind": "one_off", "price_fen": 50_000}
_keys = itertools.count()


def fresh_key() -> str:
    return f"order-{next(_keys)}"


def listing(world: World, *plans: dict[str, Any], element_id: str | None = None,
            **fields: Any) -> dict[str, Any]:
    """A listed listing of a fresh (or the given) element of merchant org A."""
    eid = element_id or build_element(world)["element_id"]
    return listed(world, eid, plans=list(plans or (FREE, ONE_OFF)), **fields)


def terms(world: World, listing_id: str, plan_id: str, purpose: str = PURPOSE,
          actor: str = "buyer") -> dict[str, Any]:
    return world.ok("GET", f"/listings/{listing_id}/terms?plan_id={plan_id}&purpose={purpose}",
                    world[actor])


def order_body(world: World, listing_id: str, plan_id: str, purpose: str = PURPOSE,
               actor: str = "buyer") -> dict[str, Any]:
    accepted = terms(world, listing_id, plan_id, purpose, actor)["terms_hash"]
    return {"listing_id": listing_id, "plan_id": plan_id, "purpose": purpose,
            "accepted_terms_hash": accepted}


def place(world: World, body: dict[str, Any], actor: str = "buyer",
          key: str | None = None) -> Any:
    """The raw response of ``POST /orders``."""
    return world.call("POST", "/orders", world[actor], json=body,
                      headers={"Idempotency-Key": key or fresh_key()})


def order(world: World, listing_id: str, plan_id: str, actor: str = "buyer",
          purpose: str = PURPOSE) -> dict[str, Any]:
    response = place(world, order_body(world, listing_id, plan_id, purpose, actor), actor)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def licensed(world: World, element_id: str, fresh: bool = False) -> str:
    """An active (free) license of the buyer for a listing of ``element_id`` (one per world
    unless ``fresh``)."""
    if fresh or not hasattr(world, "license_id"):
        cached = getattr(world, "order_listing", None)
        if cached is None:
            cached = listed(world, element_id, plans=[FREE])
            world.order_listing = cached  # type: ignore[attr-defined]
        placed = order(world, cached["id"], cached["plans"][0]["id"])
        world.order_id = placed["id"]  # type: ignore[attr-defined]
        world.license_id = placed["license"]["id"]  # type: ignore[attr-defined]
    return world.license_id  # type: ignore[attr-defined]


def order_listing(world: World, element_id: str) -> dict[str, Any]:
    licensed(world, element_id)
    return world.order_listing  # type: ignore[attr-defined]


# -- request builders for the authorisation matrix (tests/api/test_authorization_matrix.py) --


def terms_request(world: World, element_id: str) -> dict[str, Any]:
    target = order_listing(world, element_id)
    return {"path": {"listing_id": target["id"]},
            "query": f"plan_id={target['plans'][0]['id']}&purpose={PURPOSE}"}


def order_request(world: World, element_id: str) -> dict[str, Any]:
    target = order_listing(world, element_id)
    return {"json": order_body(world, target["id"], target["plans"][0]["id"]),
            "headers": {"Idempotency-Key": fresh_key()}}


def order_path(world: World, element_id: str) -> dict[str, Any]:
    licensed(world, element_id)
    return {"path": {"order_id": world.order_id}}  # type: ignore[attr-defined]


def license_path(world: World, element_id: str, fresh: bool = False) -> dict[str, Any]:
    return {"path": {"license_id": licensed(world, element_id, fresh)}}
