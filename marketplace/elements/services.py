"""Element services (issue 4 §6–7): submit a build job, read jobs, elements and versions.

``submit`` authorises first — a merchant of an approved merchant organisation that owns every
input asset version (403 naming ``inputs.<i>.version_id`` otherwise) — then validates the spec
against the inputs' recorded columns (422 with step-indexed field paths) and enqueues an
``element.build`` job in one transaction. The job handler (:mod:`.handler`) publishes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.assets.models import Asset, AssetVersion
from marketplace.auth import Principal
from marketplace.authz import acting_merchant_org, authorize
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import Forbidden, NotFound
from marketplace.ids import new_id
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job
from marketplace.pipeline.spec import load_spec

JOB_KIND = "element.build"



def _input_columns(p: Principal, spec: dict[str, Any], org_id: str) -> dict[str, Any]:
    """Columns of every input version the spec names, after checking the acting organisation
    owns it; unknown versions are left to :func:`load_spec` (422 on ``inputs.<i>``)."""
    known: dict[str, Any] = {}
    items = spec.get("inputs")
    for i, item in enumerate(items if isinstance(items, list) else []):
        vid = item.get("version_id") if isinstance(item, dict) else None
        version = db.session.get(AssetVersion, vid) if isinstance(vid, str) else None
        if version is None:
            continue
        asset = db.session.get(Asset, version.asset_id)
        if asset is None or asset.owner_org_id != org_id:
            raise Forbidden("Elements are built only from asset versions your organisation "
                            "owns.", errors={f"inputs.{i}.version_id": [
                                "Not an asset version of your organisation."]})
        authorize(p, "element.input.use", asset)
        known[version.id] = version.columns
    return known


def submit(principal: Principal | None, data: dict[str, Any]) -> Job:
    """Validate and enqueue a build; returns the queued job (202)."""
    p = authorize(principal, "element.lookup")
    element_id = data.get("element_id")
    if element_id is not None:
        element = db.session.get(Element, element_id)
        if element is None:
            raise NotFound("No such element.")
        authorize(p, "element.read", element)
        authorize(p, "element.version.create", element)
        org_id = element.owner_org_id
    else:
        org_id = acting_merchant_org(p, data.get("owner_org_id"))
        authorize(p, "element.create", org_id)
    spec = data["spec"]
    load_spec(spec, _input_columns(p, spec, org_id))
    job = jobs.enqueue(JOB_KIND, org_id, p.user_id, {
        "spec": spec, "element_id": element_id or new_id("elm"), "new": element_id is None})
    db.session.commit()
    return job


def get_job(principal: Principal | None, job_id: str) -> Job:
    p = authorize(principal, "element.lookup")
    job = db.session.get(Job, job_id)
    if job is None or job.kind != JOB_KIND:
        raise NotFound("No such job.")
    authorize(p, "job.read", job)
    return job


def cancel_job(principal: Principal | None, job_id: str) -> Job:
    job = get_job(principal, job_id)
    authorize(principal, "job.cancel", job)
    return jobs.request_cancel(job)


def get_element(principal: Principal | None, element_id: str) -> Element:
    p = authorize(principal, "element.lookup")
    element = db.session.get(Element, element_id)
    if element is None:
        raise NotFound("No such element.")
    authorize(p, "element.read", element)
    return element


def versions(principal: Principal | None, element_id: str) -> list[ElementVersion]:
    element = get_element(principal, element_id)
    return list(db.session.scalars(select(ElementVersion).where(
        ElementVersion.element_id == element.id).order_by(ElementVersion.version)))


def version(principal: Principal | None, element_id: str,
            number: int | None) -> tuple[Element, ElementVersion]:
    element = get_element(principal, element_id)
    row = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id,
        ElementVersion.version == (number or element.latest_version)))
    if row is None:
        raise NotFound("The element has no such version.")
    return element, row


def latest(element: Element) -> ElementVersion | None:
    return db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id,
        ElementVersion.version == element.latest_version))


def list_elements(principal: Principal | None, org_id: str) -> list[Element]:
    """The elements an organisation owns, newest first (the web console's merchant list);
    only the organisation's merchants may list them."""
    authorize(principal, "merchant.console", org_id)
    return list(db.session.scalars(select(Element).where(Element.owner_org_id == org_id)
                                   .order_by(Element.created_at.desc(), Element.id)))
