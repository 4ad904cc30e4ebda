"""Listings and catalog routes (issue 5 §2–3); documented in openapi.yaml.

Workflow: ``POST /listings`` (draft) → ``/submit`` (merchant) → ``/approve`` or ``/reject``
(operator admin) → ``/publish`` (merchant; the listing enters the catalog) → ``/delist``
(merchant or operator admin). ``GET /catalog`` needs no credentials.
"""

from __future__ import annotations

from flask import Blueprint, request

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.http import json_body, load
from marketplace.listings import catalog, catalog_schemas, facets, schemas, services
from marketplace.listings.models import Listing

bp = Blueprint("listings", __name__)


def _out(listing: Listing) -> dict[str, object]:
    return schemas.listing_out(listing, services.sees_review(current_principal(), listing))


@bp.post("/listings")
@action("listing.create")
def create_listing():  # type: ignore[no-untyped-def]
    data = load(schemas.ListingIn(), json_body())
    return _out(services.create(current_principal(), data)), 201


@bp.get("/listings")
@action("listing.list")
def list_listings():  # type: ignore[no-untyped-def]
    args = load(schemas.ListArgs(), request.args.to_dict())
    rows, cursor = services.list_listings(current_principal(), **args)
    return {"items": [_out(row) for row in rows], "next_cursor": cursor}


@bp.get("/listings/<listing_id>")
@action("listing.read")
def get_listing(listing_id: str):  # type: ignore[no-untyped-def]
    return _out(services.get(current_principal(), listing_id))


@bp.post("/listings/<listing_id>/submit")
@action("listing.submit")
def submit_listing(listing_id: str):  # type: ignore[no-untyped-def]
    json_body(optional=True)
    return _out(services.submit(current_principal(), listing_id))


@bp.post("/listings/<listing_id>/approve")
@action("listing.review")
def approve_listing(listing_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.ApproveIn(), json_body(optional=True))
    return _out(services.approve(current_principal(), listing_id, data["note"]))


@bp.post("/listings/<listing_id>/reject")
@action("listing.review")
def reject_listing(listing_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.ReasonIn(), json_body())
    return _out(services.reject(current_principal(), listing_id, data["reason"]))


@bp.post("/listings/<listing_id>/publish")
@action("listing.publish")
def publish_listing(listing_id: str):  # type: ignore[no-untyped-def]
    json_body(optional=True)
    return _out(services.publish(current_principal(), listing_id))


@bp.post("/listings/<listing_id>/delist")
@action("listing.delist")
def delist_listing(listing_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.ReasonIn(), json_body())
    return _out(services.delist(current_principal(), listing_id, data["reason"]))


@bp.get("/catalog")
@action("catalog.read")
def browse_catalog():  # type: ignore[no-untyped-def]
    args = load(catalog_schemas.CatalogArgs(), request.args.to_dict(flat=False))
    filters = {name: args.pop(name) for name in facets.FACETS}
    result = catalog.browse(current_principal(), catalog.Search(filters=filters, **args))
    return {"items": [catalog_schemas.hit_out(*hit) for hit in result["hits"]],
            "next_cursor": result["next_cursor"], "total": result["total"],
            "facets": result["facets"]}
