"""Valuations routes (issue 5); documented in openapi.yaml."""

from __future__ import annotations

from flask import Blueprint

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.http import json_body, load, load_args
from marketplace.valuations import affiliations, comparables, schemas, services

bp = Blueprint("valuations", __name__)


@bp.post("/elements/<element_id>/valuations")
@action("valuation.create")
def record_valuation(element_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.ValuationIn(), json_body())
    return schemas.ValuationOut().dump(services.record(current_principal(), element_id,
                                                       data)), 201


@bp.get("/elements/<element_id>/valuations")
@action("valuation.read")
def list_valuations(element_id: str):  # type: ignore[no-untyped-def]
    rows = services.list_for_element(current_principal(), element_id)
    return {"items": schemas.ValuationOut(many=True).dump(rows)}


@bp.get("/market/comparables")
@action("market.comparables.read")
def list_comparables():  # type: ignore[no-untyped-def]
    args = load_args(schemas.ComparablesArgs())
    return comparables.page(current_principal(), args)


@bp.post("/organizations/<org_id>/affiliations")
@action("valuation.affiliation.declare")
def declare_affiliation(org_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.AffiliationIn(), json_body())
    row = affiliations.declare(current_principal(), org_id, data)
    return schemas.AffiliationOut().dump(row), 201


@bp.get("/organizations/<org_id>/affiliations")
@action("valuation.affiliation.read")
def list_affiliations(org_id: str):  # type: ignore[no-untyped-def]
    rows = affiliations.listed(current_principal(), org_id)
    return {"items": schemas.AffiliationOut(many=True).dump(rows)}
