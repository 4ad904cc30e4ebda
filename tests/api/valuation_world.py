"""Helpers for the valuation API tests: elements built through the real API, settled deals
recorded through ``record_settled_deal`` (as the orders service will), request bodies, and
the route walk the OpenAPI round trip uses."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import ElementVersion
from marketplace.jobs.worker import run_pending
from marketplace.valuations.models import MarketDeal, Valuation
from marketplace.valuations.services import record_settled_deal
from tests.api.world import ASSET, World

CSV = "企业名称,注册资本\n德阳甲公司,100\n德阳乙公司,200\n德阳丙公司,300\n".encode()
COST = {"cost": {"cost_items": [{"category": "collection", "amount_fen": 300_000},
                                {"category": "processing", "amount_fen": 200_000}],
                 "profit_rate": "0.1"}}
INCOME = {"income": {"cash_flows_fen": [1_000_000, 1_100_000, 1_210_000],
                     "risk_free_rate": "0.03",
                     "risk_premia": [{"name": "market", "rate": "0.05"},
                                     {"name": "liquidity", "rate": "0.02"}]}}
RATIONALE = "Contracted API revenue supports the income view; cost is a floor only."
_refs = itertools.count()


def build_element(world: World, actor: str = "merchant", domain: str = "enterprise") -> str:
    """A published element of ``actor``'s organisation; returns its id."""
    asset = world.ok("POST", "/assets", world[actor], json={**ASSET, "domain": domain},
                     status=201)
    version = world.ok("POST", f"/assets/{asset['id']}/versions?filename=t.csv", world[actor],
                       data=CSV, content_type="text/csv", status=201)
    spec = {"format": "elx-pipeline/v1", "steps": [], "element": {"title": "企业注册资本"},
            "inputs": [{"alias": "t", "version_id": version["id"]}]}
    job = world.ok("POST", "/elements", world[actor], json={"spec": spec}, status=201)
    run_pending(world.app)
    job = world.ok("GET", f"/jobs/{job['id']}", world[actor])
    assert job["state"] == "succeeded", job["error"]
    return job["result"]["element_id"]


def settle(world: World, element_id: str, prices: list[int], days_ago: int = 40) -> None:
    """Record one settled deal per price for the element's latest version and commit."""
    with world.app.app_context():
        version = db.session.scalars(select(ElementVersion).where(
            ElementVersion.element_id == element_id).order_by(
            ElementVersion.version.desc())).first()
        assert version is not None
        for price in prices:
            record_settled_deal(version.id, price, "CNY", "subscription",
                                utcnow() - timedelta(days=days_ago),
                                source_ref=f"agr-{next(_refs)}")
        db.session.commit()


def counts(world: World) -> tuple[int, int, int]:
    """(valuations, market deals, ledger size)."""
    with world.app.app_context():
        found = (db.session.scalar(select(func.count()).select_from(Valuation)) or 0,
                 db.session.scalar(select(func.count()).select_from(MarketDeal)) or 0)
    size = int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])
    return (*found, size)


def value(world: World, element_id: str, body: dict[str, Any], actor: str = "assessor",
          status: int = 201) -> Any:
    return world.ok("POST", f"/elements/{element_id}/valuations", world[actor], json=body,
                    status=status)


def exercise_routes(world: World) -> None:
    """Every valuation operation once with a 2xx (for the contract round trip in
    test_openapi.py, which requires every documented operation to succeed at least once)."""
    mine = build_element(world)
    theirs = build_element(world, "rival")
    settle(world, theirs, [100_000, 150_000, 200_000])
    assessor = world["assessor"]
    value(world, mine, {"methods": {**COST, **INCOME, "market": {"since": "2020-01-01"}},
                        "reconciliation": {"weights": {"cost": "0.2", "income": "0.5",
                                                       "market": "0.3"},
                                           "rationale": RATIONALE}})
    world.ok("GET", f"/elements/{mine}/valuations", world["merchant"])
    world.ok("GET", "/market/comparables?domain=enterprise&limit=2", assessor)
    world.ok("POST", f"/organizations/{assessor.org_id}/affiliations", assessor, status=201,
             json={"affiliated_org_id": world["rival"].org_id, "relation": "shareholding",
                   "note": "持股 5%"})
    world.ok("GET", f"/organizations/{assessor.org_id}/affiliations", assessor)
