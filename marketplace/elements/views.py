"""Element and job routes (issue 4 §6–7); documented in openapi.yaml."""

from __future__ import annotations

from flask import Blueprint, request

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.elements import schemas, services
from marketplace.http import json_body, load

bp = Blueprint("elements", __name__)


@bp.post("/elements")
@action("element.create")
def build_element():  # type: ignore[no-untyped-def]
    data = load(schemas.BuildIn(), json_body())
    return schemas.JobOut().dump(services.submit(current_principal(), data)), 201


@bp.get("/jobs/<job_id>")
@action("job.read")
def get_job(job_id: str):  # type: ignore[no-untyped-def]
    return schemas.JobOut().dump(services.get_job(current_principal(), job_id))


@bp.post("/jobs/<job_id>/cancel")
@action("job.cancel")
def cancel_job(job_id: str):  # type: ignore[no-untyped-def]
    return schemas.JobOut().dump(services.cancel_job(current_principal(), job_id))


@bp.get("/elements/<element_id>")
@action("element.read")
def get_element(element_id: str):  # type: ignore[no-untyped-def]
    element = services.get_element(current_principal(), element_id)
    return schemas.ElementOut().dump({**_fields(element), "latest": services.latest(element)})


@bp.get("/elements/<element_id>/versions")
@action("element.read")
def list_versions(element_id: str):  # type: ignore[no-untyped-def]
    rows = services.versions(current_principal(), element_id)
    return {"items": schemas.VersionOut(many=True).dump(rows)}


@bp.get("/elements/<element_id>/quality")
@action("element.read")
def quality(element_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.VersionArgs(), request.args.to_dict())
    element, row = services.version(current_principal(), element_id, args["version"])
    return {"element_id": element.id, "version": row.version, "version_id": row.id,
            "quality": row.quality}


@bp.get("/elements/<element_id>/sample")
@action("element.read")
def sample(element_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.VersionArgs(), request.args.to_dict())
    element, row = services.version(current_principal(), element_id, args["version"])
    return {"element_id": element.id, "version": row.version, "version_id": row.id,
            "columns": [c["name"] for c in row.schema], "rows": row.sample}


def _fields(element: object) -> dict[str, object]:
    names = ("id", "owner_org_id", "title", "description", "latest_version", "created_at")
    return {n: getattr(element, n) for n in names}
