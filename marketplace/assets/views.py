"""Asset registry routes."""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from marketplace.assets import schemas, services
from marketplace.assets.uploads import upload_from_request
from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.http import json_body, load

bp = Blueprint("assets", __name__)


class CertificateArgs(Schema):
    version = fields.Int(load_default=None, validate=validate.Range(min=1))


@bp.post("/assets")
@action("asset.create")
def create_asset():  # type: ignore[no-untyped-def]
    data = load(schemas.AssetIn(), json_body())
    return schemas.AssetOut().dump(services.create_asset(current_principal(), data)), 201


@bp.get("/assets")
@action("asset.list")
def list_assets():  # type: ignore[no-untyped-def]
    args = load(schemas.ListArgs(), request.args.to_dict())
    rows, cursor = services.list_assets(current_principal(), **args)
    return {"items": schemas.AssetOut(many=True).dump(rows), "next_cursor": cursor}


@bp.get("/assets/<asset_id>")
@action("asset.read")
def get_asset(asset_id: str):  # type: ignore[no-untyped-def]
    return schemas.AssetOut().dump(services.get_asset(current_principal(), asset_id))


@bp.get("/assets/<asset_id>/versions")
@action("asset.read")
def list_versions(asset_id: str):  # type: ignore[no-untyped-def]
    rows = services.list_versions(current_principal(), asset_id)
    return {"items": schemas.VersionOut(many=True).dump(rows)}


@bp.post("/assets/<asset_id>/versions")
@action("asset.version.create")
def upload_version(asset_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.UploadArgs(), request.args.to_dict())
    principal = current_principal()
    services.get_asset(principal, asset_id)  # authorise before reading any of the body
    upload = upload_from_request(request, args["format"], args["encoding"], args["filename"])
    version = services.upload_version(principal, asset_id, upload)
    return schemas.VersionOut().dump(version), 201


@bp.get("/assets/<asset_id>/certificate")
@action("asset.certificate.read")
def certificate(asset_id: str):  # type: ignore[no-untyped-def]
    args = load(CertificateArgs(), request.args.to_dict())
    return services.certificate(current_principal(), asset_id, args["version"])
