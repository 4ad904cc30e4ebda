"""Helpers for the records API and sandbox tests (issue 7): an element with a key column, its
query policy, a listed license of the buyer and an API key of the buyer organisation."""

from __future__ import annotations

from typing import Any

from tests.api.listing_world import build_element, listed
from tests.api.order_world import PURPOSE, order
from tests.api.world import World

DISTRICTS = ("旌阳区", "罗江区", "广汉市")


def csv_rows(n: int = 30) -> bytes:
    lines = ["id,区县,类别,数量"]
    lines += [f"{i},{DISTRICTS[i % 3]},{'交通' if i % 2 else '企业'},{i % 10}"
              for i in range(1, n + 1)]
    return ("\n".join(lines) + "\n").encode()


POLICY: dict[str, Any] = {
    "identity": "id", "dimensions": ["区县", "类别"],
    "aggregates": {"数量": {"functions": ["count", "sum", "avg"], "lower": "0", "upper": "10"}},
    "k": 2, "epsilon_per_query": "1", "epsilon_per_license": "3", "max_rows": 100,
    "max_groups": 1000}


def element(world: World, n: int = 30) -> str:
    return build_element(world, title="区县明细", csv=csv_rows(n))["element_id"]


def set_policy(world: World, element_id: str, **changes: Any) -> dict[str, Any]:
    body = {"policy": {**POLICY, **changes.pop("policy", {})}, **changes}
    return world.ok("PUT", f"/elements/{element_id}/query-policy", world["merchant"], json=body)


def license_for(world: World, element_id: str, actor: str = "buyer",
                **params: Any) -> str:
    """An active free internal-analytics license of ``actor``'s organisation."""
    listing = listed(world, element_id, plans=[{"kind": "free"}], license_params=params)
    return order(world, listing["id"], listing["plans"][0]["id"], actor=actor)["license"]["id"]


def api_key(world: World, actor: str = "buyer") -> str:
    who = world[actor]
    return world.ok("POST", "/api-keys", who, json={"org_id": who.org_id, "name": "prog"},
                    status=201)["key"]


def key_headers(key: str, purpose: str | None = PURPOSE) -> dict[str, str]:
    headers = {"X-API-Key": key}
    if purpose:
        headers["X-Purpose"] = purpose
    return headers


def exercise_routes(world: World) -> None:
    """Every access operation once with a 2xx (the contract round trip in test_openapi.py)."""
    eid = element(world)
    world.ok("GET", f"/elements/{eid}/query-policy", world["merchant"])
    set_policy(world, eid)
    lic = license_for(world, eid)
    key = api_key(world)
    page = world.ok("GET", f"/elements/{eid}/records?limit=5&fields=id,区县"
                    "&filter=区县:eq:旌阳区", headers=key_headers(key))
    assert page["next_cursor"]
    world.ok("POST", f"/licenses/{lic}/queries", world["buyer"],
             json={"sql": "SELECT 区县, count(*) FROM element GROUP BY 区县",
                   "purpose": PURPOSE})


# -- request builders for the authorisation matrix (tests/api/test_authorization_matrix.py) --

MATRIX_POLICY = {"identity": "企业名称", "dimensions": ["注册资本"], "k": 2}


def _matrix_policy(world: World, element_id: str) -> None:
    if not getattr(world, "access_policy_set", False):
        world.ok("PUT", f"/elements/{element_id}/query-policy", world["merchant"],
                 json={"policy": MATRIX_POLICY})
        world.access_policy_set = True  # type: ignore[attr-defined]


def policy_request(world: World, element_id: str) -> dict[str, Any]:
    return {"path": {"element_id": element_id}, "json": {"policy": MATRIX_POLICY}}


def records_request(world: World, element_id: str) -> dict[str, Any]:
    from tests.api.order_world import licensed

    licensed(world, element_id)
    return {"path": {"element_id": element_id}, "query": "limit=1",
            "headers": {"X-Purpose": PURPOSE}}


def query_request(world: World, element_id: str) -> dict[str, Any]:
    from tests.api.order_world import licensed

    _matrix_policy(world, element_id)
    return {"path": {"license_id": licensed(world, element_id)},
            "json": {"sql": "SELECT count(*) FROM element", "purpose": PURPOSE}}
