"""Asset registry: register assets, upload immutable versions, issue rights certificates.

Registering a version appends ``asset.version.registered`` to the ledger in the same
transaction as the version row; the certificate (数据资产登记证书) is the ledger receipt — entry,
inclusion proof and signed checkpoint — which ``python -m ledger verify-receipt`` checks offline.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.assets.ingest import IngestedFile, ingest
from marketplace.assets.models import Asset, AssetVersion
from marketplace.assets.uploads import Upload
from marketplace.auth import Principal
from marketplace.authz import acting_merchant_org, authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.http import id_page
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger

VERSION_REGISTERED = "asset.version.registered"
ASSET_REGISTERED = "asset.registered"



def create_asset(principal: Principal | None, data: dict[str, Any]) -> Asset:
    org_id = acting_merchant_org(principal, data.pop("owner_org_id", None))
    p = authorize(principal, "asset.create", org_id)
    coverage = data.pop("time_coverage", None) or {}
    asset = Asset(id=new_id("ast"), owner_org_id=org_id, created_by=p.user_id,
                  created_at=utcnow(), latest_version=0,
                  time_coverage_start=coverage.get("start"),
                  time_coverage_end=coverage.get("end"), **data)
    db.session.add(asset)
    ledger.record(ASSET_REGISTERED, asset.id, p, org_id, {
        "asset_id": asset.id, "owner_org": org_id, "title": asset.title,
        "classification": asset.classification.value,
        "contains_personal_info": asset.contains_personal_info,
    })
    db.session.commit()
    return asset


def get_asset(principal: Principal | None, asset_id: str) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        authorize(principal, "asset.list")
        raise NotFound("No such asset.")
    authorize(principal, "asset.read", asset)
    return asset


def list_assets(principal: Principal | None, cursor: str | None, limit: int,
                org_id: str | None) -> tuple[list[Asset], str | None]:
    """Assets the caller may see: their organisations' (operator staff: all), newest id order."""
    p = authorize(principal, "asset.list")
    query = select(Asset)
    if not p.is_operator_staff():
        query = query.where(Asset.owner_org_id.in_([m.org_id for m in p.memberships]))
    if org_id:
        query = query.where(Asset.owner_org_id == org_id)
    return id_page(query, Asset.id, cursor, limit)


def list_versions(principal: Principal | None, asset_id: str) -> list[AssetVersion]:
    asset = get_asset(principal, asset_id)
    return list(db.session.scalars(select(AssetVersion).where(
        AssetVersion.asset_id == asset.id).order_by(AssetVersion.version)))


def upload_version(principal: Principal | None, asset_id: str, upload: Upload) -> AssetVersion:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        authorize(principal, "asset.list")
        raise NotFound("No such asset.")
    authorize(principal, "asset.read", asset)
    p = authorize(principal, "asset.version.create", asset)
    # Stream outside any transaction: a slow upload must not hold the database write lock.
    db.session.rollback()
    cfg = current_app.config
    store = current_app.extensions["elx.blobs"]
    ingested = ingest(upload.stream, fmt=upload.fmt, declared_encoding=upload.encoding,
                      filename=upload.filename, store=store, max_bytes=cfg["MAX_UPLOAD_BYTES"],
                      memory_limit=cfg["DUCKDB_MEMORY_LIMIT"],
                      csv_memory_limit=cfg["UPLOAD_CSV_MEMORY_LIMIT"],
                      expected_size=upload.expected_size)
    try:
        return _register(p, asset_id, ingested, upload.filename)
    except BaseException:
        db.session.rollback()
        _forget_unreferenced(store, ingested)
        raise


def _register(p: Principal, asset_id: str, ingested: IngestedFile,
              filename: str | None) -> AssetVersion:
    asset = db.session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        raise NotFound("No such asset.")
    now = utcnow()
    asset.latest_version += 1
    version = AssetVersion(
        id=new_id("ver"), asset_id=asset.id, version=asset.latest_version,
        sha256=ingested.sha256, size=ingested.size, format=ingested.format,
        encoding=ingested.encoding, encoding_source=ingested.encoding_source,
        normalized_sha256=ingested.normalized_sha256,
        columns=[{"name": c.name, "type": c.type} for c in ingested.columns],
        row_count=ingested.row_count, schema_digest=ingested.schema_digest,
        filename=filename, created_by=p.user_id, created_at=now, ledger_index=-1)
    version.ledger_index = ledger.record(VERSION_REGISTERED, version.id, p, asset.owner_org_id, {
        "owner_org": asset.owner_org_id, "asset_id": asset.id, "version": version.version,
        "version_id": version.id, "sha256": version.sha256, "size": version.size,
        "format": version.format, "row_count": version.row_count,
        "schema_digest": version.schema_digest, "registered_at": now.isoformat(),
    })
    db.session.add(version)
    db.session.commit()
    return version


def _forget_unreferenced(store: Any, ingested: IngestedFile) -> None:
    for digest in {ingested.sha256, ingested.normalized_sha256}:
        used = db.session.scalar(select(AssetVersion.id).where(
            (AssetVersion.sha256 == digest) | (AssetVersion.normalized_sha256 == digest)))
        db.session.rollback()
        if used is None:
            store.delete(digest)


def certificate(principal: Principal | None, asset_id: str,
                version: int | None) -> dict[str, Any]:
    asset = get_asset(principal, asset_id)
    authorize(principal, "asset.certificate.read", asset)
    query = select(AssetVersion).where(AssetVersion.asset_id == asset.id)
    query = query.where(AssetVersion.version == (version or asset.latest_version))
    row = db.session.scalar(query)
    if row is None:
        raise NotFound("The asset has no such version.")
    owner = db.session.get(Organization, asset.owner_org_id)
    receipt = ledger.receipt(row.ledger_index)
    return {
        "certificate": "数据资产登记证书 / Data asset registration certificate",
        "asset_id": asset.id, "title": asset.title, "version": row.version,
        "version_id": row.id, "owner_org_id": asset.owner_org_id,
        "owner_org_name": owner.name if owner else None, "sha256": row.sha256,
        "size": row.size, "schema_digest": row.schema_digest,
        "registered_at": row.created_at.isoformat(), "ledger_index": row.ledger_index,
        "receipt": receipt,
    }


def get_version(principal: Principal | None, version_id: str) -> tuple[Asset, AssetVersion]:
    """One asset version by id with its asset, authorised like :func:`get_asset` (the web
    console's pipeline builder starts from a version)."""
    version = db.session.get(AssetVersion, version_id)
    if version is None:
        authorize(principal, "asset.list")
        raise NotFound("No such asset version.")
    return get_asset(principal, version.asset_id), version
