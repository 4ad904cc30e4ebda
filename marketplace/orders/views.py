"""Orders and licenses routes (issue 5 §5); documented in openapi.yaml.

``GET /listings/{id}/terms`` → ``POST /orders`` (with ``Idempotency-Key`` and the accepted
``terms_hash``) → ``GET /orders/{id}``; ``GET /licenses``, ``GET /licenses/{id}`` and the
operator's ``POST /licenses/{id}/revoke``. Registering the blueprint installs the default
(fake) payment gateway unless the app already has one.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask.blueprints import BlueprintSetupState

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.http import json_body, load
from marketplace.orders import ordering, payments, schemas, services

bp = Blueprint("orders", __name__)


@bp.record_once
def _install_gateway(state: BlueprintSetupState) -> None:
    payments.install_default(state.app)


@bp.get("/listings/<listing_id>/terms")
@action("license.terms.read")
def get_terms(listing_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.TermsArgs(), request.args.to_dict())
    return schemas.terms_out(services.terms(current_principal(), listing_id, **args))


@bp.post("/orders")
@action("order.create")
def create_order():  # type: ignore[no-untyped-def]
    data = load(schemas.OrderIn(), json_body())
    key = request.headers.get(ordering.HEADER)
    body, replayed = services.place_order(current_principal(), key, data)
    return body, 201, ({"Idempotent-Replayed": "true"} if replayed else {})


@bp.get("/orders/<order_id>")
@action("order.read")
def get_order(order_id: str):  # type: ignore[no-untyped-def]
    return schemas.order_out(*services.get_order(current_principal(), order_id))


@bp.get("/licenses")
@action("license.list")
def list_licenses():  # type: ignore[no-untyped-def]
    args = load(schemas.LicenseListArgs(), request.args.to_dict())
    rows, cursor = services.list_licenses(current_principal(), **args)
    return {"items": [schemas.license_summary(row) for row in rows], "next_cursor": cursor}


@bp.get("/licenses/<license_id>")
@action("license.read")
def get_license(license_id: str):  # type: ignore[no-untyped-def]
    agreement = services.get_license(current_principal(), license_id)
    return schemas.license_out(agreement, *services.license_history(agreement))


@bp.post("/licenses/<license_id>/revoke")
@action("license.revoke")
def revoke_license(license_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.RevokeIn(), json_body())
    agreement = services.revoke(current_principal(), license_id, data["reason"])
    return schemas.license_out(agreement, *services.license_history(agreement))
