"""Demo data elements: each demo asset processed by a desensitising pipeline (issue 4), built
through the same service and job handler as ``POST /elements``, then listed (issue 5) through the
listing services: the merchant drafts and submits, the operator approves, the merchant
publishes. Idempotent: an element whose title exists is left alone, and so is an element that
already has a listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.common import principal_for
from marketplace.accounts.models import User
from marketplace.assets.models import Asset, AssetVersion
from marketplace.db import db
from marketplace.elements import services as elements
from marketplace.elements.models import Element
from marketplace.jobs.models import Job, JobState
from marketplace.jobs.worker import run_one
from marketplace.pipeline.spec import FORMAT


@dataclass(frozen=True)
class DemoElement:
    asset_title: str
    title: str
    description: str
    steps: tuple[dict[str, Any], ...]
    settings: dict[str, Any]
    domain: str = "政务服务"
    template: str = "internal-analytics"
    plans: tuple[dict[str, Any], ...] = ({"kind": "one_off", "price_fen": 500_000},)


ELEMENTS = (
    DemoElement(
        "企业登记", "德阳企业信用登记信息（脱敏） Enterprise credit registry",
        "Registered enterprises of Deyang with their unified social credit codes, capital, "
        "industry and status; legal representatives masked, addresses generalised to districts.",
        ({"type": "mask", "columns": ["legal_representative"], "keep_first": 1},
         {"type": "generalise", "column": "address", "method": "address_to_district"}),
        {"column_descriptions": {"uscc": "统一社会信用代码",
                                 "registered_capital": "注册资本（万元）"}},
        domain="企业信用", template="api-integration",
        plans=({"kind": "subscription", "price_fen": 120_000, "period": "monthly",
                "auto_renew": True},
               {"kind": "metered", "unit": "api_call", "unit_price_fen": 5,
                "included_quota": 1000})),
    DemoElement(
        "水电气月度抄表", "水电气月度用量（按区县汇总） Utility consumption by district",
        "Monthly water, electricity and gas use per district: household totals and averages.",
        ({"type": "aggregate", "group_by": ["district", "month"], "aggregations": [
            {"fn": "count", "as": "households"},
            {"fn": "sum", "column": "water_m3", "as": "water_m3"},
            {"fn": "avg", "column": "electricity_kwh", "as": "avg_electricity_kwh"},
            {"fn": "sum", "column": "gas_m3", "as": "gas_m3"}]},),
        {"column_descriptions": {"households": "户数"}}, domain="公用事业",
        template="cc-by-4.0", plans=({"kind": "free"},)),
    DemoElement(
        "智慧停车", "智慧停车泊位占用 Smart parking occupancy",
        "Occupancy of Deyang's public car parks over time; licence plates removed.",
        ({"type": "select", "columns": ["lot_id", "lot_name", "district", "ts", "capacity",
                                        "occupied"]},),
        {"column_descriptions": {"occupied": "已占用泊位"}}, domain="交通",
        plans=({"kind": "one_off", "price_fen": 300_000},
               {"kind": "metered", "unit": "sandbox_query", "unit_price_fen": 200,
                "included_quota": 50})),
    DemoElement(
        "12345热线工单", "12345 热线工单（脱敏） Citizen hotline tickets",
        "Citizen service hotline tickets with phone numbers, ID numbers and names redacted from "
        "the free text, ticket ids keyed-hashed and k-anonymity (k=5) on district, category and "
        "month.",
        ({"type": "normalise_text", "columns": ["body"], "ops": ["halfwidth", "trim"]},
         {"type": "redact_pii", "columns": ["body"]},
         {"type": "generalise", "column": "received_at", "method": "date_to_month",
          "as": "month"},
         {"type": "keyed_hash", "columns": ["ticket_id"]},
         {"type": "k_anonymity", "max_suppression": 0.05}),
        {"quasi_identifiers": ["district", "category", "month"], "k": 5,
         "column_descriptions": {"body": "诉求内容（已脱敏）"}}, domain="政务热线",
        template="research-only", plans=({"kind": "metered", "unit": "sandbox_query",
                                           "unit_price_fen": 500, "included_quota": 20},)),
)


def _build(spec: dict[str, Any], owner: User) -> str:
    job = elements.submit(principal_for(owner), {"spec": spec, "element_id": None,
                                                 "owner_org_id": None})
    job_id = job.id
    db.session.rollback()
    run_one(current_app._get_current_object(), "demo", job_id)  # type: ignore[attr-defined]
    job = db.session.get(Job, job_id)
    assert job is not None
    if job.state is not JobState.succeeded:
        raise RuntimeError(f"demo element build failed: {job.error}")
    return str((job.result or {})["element_id"])


def _list(item: DemoElement, element_id: str, owner: User, operator: User) -> str:
    from marketplace.listings import services as listings
    from marketplace.listings.models import Listing
    from marketplace.listings.schemas import ListingIn

    if db.session.scalar(select(Listing.id).where(Listing.element_id == element_id)):
        return ""
    merchant = principal_for(owner)
    version = db.session.get(Element, element_id).latest_version  # type: ignore[union-attr]
    listing = listings.create(merchant, ListingIn().load({
        "element_id": element_id, "version": version, "domain": item.domain,
        "license_template": item.template, "plans": list(item.plans)}))
    listings.submit(merchant, listing.id)
    listings.approve(principal_for(operator), listing.id, "演示数据 demo")
    listings.publish(merchant, listing.id)
    return f"listing {listing.title}: {listing.id} (listed)"


def load_demo_elements(operator_email: str = "operator@deyang.example") -> list[str]:
    """Build and list whatever demo element is missing; returns a summary."""
    summary = []
    operator = db.session.scalar(select(User).where(User.email == operator_email))
    for item in ELEMENTS:
        existing = db.session.scalar(select(Element).where(Element.title == item.title))
        if existing is not None:
            owner = db.session.get(User, existing.created_by)
            if owner is not None and operator is not None and (
                    line := _list(item, existing.id, owner, operator)):
                summary.append(line)
            continue
        asset = db.session.scalar(select(Asset).where(Asset.title == item.asset_title))
        version = asset and db.session.scalar(select(AssetVersion).where(
            AssetVersion.asset_id == asset.id).order_by(AssetVersion.version.desc()).limit(1))
        if asset is None or version is None:
            continue
        owner = db.session.get(User, version.created_by)
        assert owner is not None
        spec = {"format": FORMAT, "inputs": [{"alias": "t", "version_id": version.id}],
                "steps": list(item.steps),
                "element": {"title": item.title, "description": item.description,
                            **item.settings}}
        element_id = _build(spec, owner)
        summary.append(f"element {item.title}: {element_id}")
        if operator is not None:
            summary.append(_list(item, element_id, owner, operator))
    return summary
