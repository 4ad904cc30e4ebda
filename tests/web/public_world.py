"""Listed elements for the public console pages' tests, built through the real API
(tests/api/listing_world.py)."""

from __future__ import annotations

from typing import Any

from tests.api import listing_world
from tests.api.world import World

PLANS = [{"kind": "free"}, {"kind": "subscription", "price_fen": 12_000, "period": "monthly"},
         {"kind": "metered", "unit": "sandbox_query", "unit_price_fen": 5,
          "included_quota": 100}]


def listed_element(world: World, title: str = "区县统计", domain: str = "交通",
                   plans: list[dict[str, Any]] | None = None, **element: Any) -> dict[str, str]:
    """An element of org A in the catalog; returns element_id, version_id and listing_id."""
    ids = listing_world.build_element(world, title=title, **element)
    listing = listing_world.listed(world, ids["element_id"], domain=domain,
                                   plans=plans or PLANS)
    return {**ids, "listing_id": listing["id"], "ledger_index": listing["ledger_index"]}


def element_path(world: World) -> str:
    """``/elements/<id>`` of one listed element per world (built on first use)."""
    if not hasattr(world, "public_element"):
        world.public_element = listed_element(world)  # type: ignore[attr-defined]
    return f"/elements/{world.public_element['element_id']}"  # type: ignore[attr-defined]


def new_version(world: World, element_id: str, description: str) -> int:
    """Build the next version of a merchant's element from its latest version's inputs."""
    from marketplace.jobs.worker import run_pending
    from marketplace.pipeline.spec import FORMAT

    latest = world.ok("GET", f"/elements/{element_id}", world["merchant"])["latest"]
    spec = {"format": FORMAT, "inputs": latest["spec"]["inputs"], "steps": [],
            "element": {**latest["spec"]["element"], "description": description}}
    job = world.ok("POST", "/elements", world["merchant"], status=201,
                   json={"spec": spec, "element_id": element_id})
    run_pending(world.app)
    job = world.ok("GET", f"/jobs/{job['id']}", world["merchant"])
    assert job["state"] == "succeeded", job["error"]
    return int(world.ok("GET", f"/elements/{element_id}", world["merchant"])["latest_version"])
