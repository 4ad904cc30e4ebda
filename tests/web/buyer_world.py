"""Builders for the buyer console tests: a listed element with a query policy and a free and a
one-off plan, orders placed through the console's form, and the console paths of the buyer's
order, license and sandbox (for tests/web/test_web_routes.py)."""

from __future__ import annotations

import re
from typing import Any

from tests.api import access_world
from tests.api.listing_world import listed
from tests.api.order_world import FREE, ONE_OFF
from tests.api.world import World
from tests.web.console import Console

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def market(world: World) -> dict[str, Any]:
    """One element (with the access tests' query policy) listed with a free and a one-off
    plan; built once per world."""
    if not hasattr(world, "buyer_market"):
        eid = access_world.element(world)
        access_world.set_policy(world, eid)
        listing = listed(world, eid, plans=[FREE, ONE_OFF], license_params={"max_calls": 5})
        world.buyer_market = {"element_id": eid, "listing": listing,  # type: ignore[attr-defined]
                              "free": listing["plans"][0]["id"],
                              "one_off": listing["plans"][1]["id"]}
    return world.buyer_market  # type: ignore[attr-defined]


def order_form(html: str) -> dict[str, str]:
    """The hidden fields of the order form (terms hash, Idempotency-Key, …)."""
    start = html.index('id="order-form"')
    return dict(_HIDDEN.findall(html[start:html.index("</form>", start)]))


def place(console: Console, listing_id: str, plan_id: str, accept: bool = True) -> Any:
    """Render the order form, accept the terms and submit it once; returns the response."""
    page = f"/buyer/orders/new?listing={listing_id}&plan={plan_id}"
    fields = order_form(console.get(page).get_data(as_text=True))
    if accept:
        fields["accept"] = "yes"
    return console.client.post("/buyer/orders", data=fields)


def order_id_of(response: Any) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return response.headers["Location"].rsplit("/", 1)[1]


def _free_order(world: World) -> dict[str, Any]:
    if not hasattr(world, "buyer_free_order"):
        m = market(world)
        body = world.ok("GET", f"/listings/{m['listing']['id']}/terms?plan_id={m['free']}"
                        f"&purpose={access_world.PURPOSE}", world["buyer"])
        placed = world.ok("POST", "/orders", world["buyer"], status=201,
                          headers={"Idempotency-Key": "buyer-world-free"},
                          json={"listing_id": m["listing"]["id"], "plan_id": m["free"],
                                "purpose": access_world.PURPOSE,
                                "accepted_terms_hash": body["terms_hash"]})
        world.buyer_free_order = placed  # type: ignore[attr-defined]
    return world.buyer_free_order  # type: ignore[attr-defined]


# -- paths for the route table --------------------------------------------------------------


def new_order_path(world: World) -> str:
    return f"/buyer/orders/new?listing={market(world)['listing']['id']}"


def order_path(world: World) -> str:
    return f"/buyer/orders/{_free_order(world)['id']}"


def license_path(world: World) -> str:
    return f"/buyer/licenses/{_free_order(world)['license']['id']}"


def sandbox_path(world: World) -> str:
    return license_path(world) + "/sandbox"
