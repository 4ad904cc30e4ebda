"""Helpers for the listing and catalog tests: build a small element through the real API and
take listings through the workflow."""

from __future__ import annotations

from typing import Any

from marketplace.jobs.worker import run_pending
from marketplace.pipeline.spec import FORMAT
from tests.api.world import ASSET, World

CSV = "区县,类别,数量\n旌阳区,交通,3\n罗江区,企业,5\n广汉市,交通,7\n".encode()
ONE_OFF = {"kind": "one_off", "price_fen": 50_000}


def build_element(world: World, actor: str = "merchant", title: str = "区县统计",
                  description: str = "District counts", classification: str = "general",
                  columns: dict[str, str] | None = None, csv: bytes = CSV) -> dict[str, str]:
    """An element with one version built from a fresh asset; returns its ids."""
    asset = world.ok("POST", "/assets", world[actor], status=201,
                     json={**ASSET, "classification": classification, "title": title})
    version = world.ok("POST", f"/assets/{asset['id']}/versions?filename=t.csv", world[actor],
                       data=csv, content_type="text/csv", status=201)
    spec = {"format": FORMAT, "inputs": [{"alias": "t", "version_id": version["id"]}],
            "steps": [], "element": {"title": title, "description": description,
                                     "column_descriptions": columns or {}}}
    job = world.ok("POST", "/elements", world[actor], json={"spec": spec}, status=201)
    run_pending(world.app)
    job = world.ok("GET", f"/jobs/{job['id']}", world[actor])
    assert job["state"] == "succeeded", job["error"]
    return {"element_id": job["result"]["element_id"], "version_id": job["result"]["version_id"]}


def draft(world: World, element_id: str, actor: str = "merchant", **fields: Any) -> Any:
    body = {"element_id": element_id, "domain": "交通", "license_template": "internal-analytics",
            "plans": [ONE_OFF], **fields}
    return world.ok("POST", "/listings", world[actor], json=body, status=201)


def advance(world: World, listing_id: str, *steps: str, actor: str = "merchant") -> Any:
    """Run workflow steps: submit/publish/delist as ``actor``, approve/reject as operator."""
    listing = None
    for step in steps:
        who = world["operator"] if step in ("approve", "reject") else world[actor]
        body = {"reason": f"{step} reason"} if step in ("reject", "delist") else None
        listing = world.ok("POST", f"/listings/{listing_id}/{step}", who, json=body)
    return listing


def listed(world: World, element_id: str, actor: str = "merchant", **fields: Any) -> Any:
    """A listing taken all the way into the catalog."""
    listing = draft(world, element_id, actor, **fields)
    return advance(world, listing["id"], "submit", "approve", "publish", actor=actor)


def in_state(world: World, element_id: str, state: str) -> str:
    """A fresh listing of org A's element in ``state`` (draft, submitted, approved, listed);
    for the authorisation matrix, which needs a new one for every caller it tries."""
    steps = {"draft": (), "submitted": ("submit",), "approved": ("submit", "approve"),
             "listed": ("submit", "approve", "publish")}[state]
    listing = draft(world, element_id, plans=[{"kind": "free"}])
    advance(world, listing["id"], *steps)
    return listing["id"]


def exercise_routes(world: World) -> None:
    """Every listing and catalog operation once with a 2xx (for the contract round trip in
    test_openapi.py)."""
    eid = build_element(world, title="企业信用评价", description="Enterprise credit")["element_id"]
    lid = listed(world, eid, domain="企业")["id"]
    world.ok("GET", "/catalog?q=企业信用&domain=企业&sort=newest")
    world.ok("GET", f"/listings/{lid}", world["buyer"])
    world.ok("GET", "/listings?state=listed", world["operator"])
    world.ok("POST", f"/listings/{lid}/delist", world["merchant"], json={"reason": "下架"})
    rejected = draft(world, eid)["id"]
    advance(world, rejected, "submit", "reject")
