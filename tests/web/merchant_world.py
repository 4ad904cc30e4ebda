"""Builders for the merchant console tests: org A's asset (with a version), its build job,
element and a draft listing, made once per world through the real API; and the console paths
of each (for tests/web/test_web_routes.py)."""

from __future__ import annotations

from typing import Any

from marketplace.jobs.worker import run_pending
from marketplace.pipeline.spec import FORMAT
from tests.api.listing_world import CSV, draft
from tests.api.world import ASSET, World


def merchant_things(world: World) -> dict[str, Any]:
    """``asset_id``, ``version_id``, ``job_id``, ``element_id`` and ``listing_id`` of org A."""
    if not hasattr(world, "merchant_things"):
        me = world["merchant"]
        asset = world.ok("POST", "/assets", me, status=201, json={**ASSET, "title": "商户资产"})
        version = world.ok("POST", f"/assets/{asset['id']}/versions?filename=t.csv", me,
                           data=CSV, content_type="text/csv", status=201)
        spec = {"format": FORMAT, "inputs": [{"alias": "t", "version_id": version["id"]}],
                "steps": [], "element": {"title": "商户元件", "description": "d"}}
        job = world.ok("POST", "/elements", me, json={"spec": spec}, status=201)
        run_pending(world.app)
        element_id = world.ok("GET", f"/jobs/{job['id']}", me)["result"]["element_id"]
        world.merchant_things = {  # type: ignore[attr-defined]
            "asset_id": asset["id"], "version_id": version["id"], "job_id": job["id"],
            "element_id": element_id, "listing_id": draft(world, element_id)["id"]}
    return world.merchant_things  # type: ignore[attr-defined]


def asset_path(world: World) -> str:
    return f"/merchant/assets/{merchant_things(world)['asset_id']}"


def certificate_path(world: World) -> str:
    return asset_path(world) + "/certificate"


def builder_path(world: World) -> str:
    return f"/merchant/pipelines/new?asset_version={merchant_things(world)['version_id']}"


def job_path(world: World) -> str:
    return f"/merchant/jobs/{merchant_things(world)['job_id']}"


def element_path(world: World) -> str:
    return f"/merchant/elements/{merchant_things(world)['element_id']}"


def listing_path(world: World) -> str:
    return f"/merchant/listings/{merchant_things(world)['listing_id']}"


def new_listing_path(world: World) -> str:
    return f"/merchant/listings/new?element={merchant_things(world)['element_id']}"


def query_policy_path(world: World) -> str:
    return element_path(world) + "/query-policy"
