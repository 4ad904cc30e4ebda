"""Merchant console: the pipeline builder and live job progress (issue 8 §2).

The builder edits the ``elx-pipeline/v1`` JSON spec (marketplace/pipeline/spec.py) and submits
it to the same service as ``POST /api/v1/elements``; the 422's step-indexed paths
(``steps.0.column``) are listed beside the textarea. The job page reads the same service as
``GET /api/v1/jobs/{id}``; ``/merchant/jobs/<id>.json`` is its cookie-authenticated twin that
merchant.js polls (the API wants a bearer token the console does not hold).
"""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.assets import services as assets
from marketplace.elements import schemas, services
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.jobs.models import FINAL, Job, JobState
from marketplace.pipeline.spec import FORMAT
from marketplace.pipeline.steps.registry import REGISTRY
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages.merchant_common import acting_org, guard, owned, principal, problem

bp = console_blueprint("web_merchant_pipelines", __name__)
guard(bp)


def starter_spec(version_id: str, columns: list[str], title: str,
                 description: str) -> dict[str, Any]:
    """A valid first spec for one asset version: keep every column, describe the element."""
    return {"format": FORMAT, "inputs": [{"alias": "t", "version_id": version_id}],
            "steps": [{"type": "select", "columns": columns}],
            "element": {"title": title, "description": description, "column_descriptions": {}}}


def _starting_point() -> tuple[dict[str, Any], str | None, str | None]:
    """(spec, element id for a new version, what the spec starts from) from the query."""
    p = principal()
    if element_id := request.args.get("element"):
        element, row = services.version(p, element_id, None)
        owned(element.owner_org_id)
        return dict(row.spec), element.id, element.title
    if version_id := request.args.get("asset_version"):
        asset, version = assets.get_version(p, version_id)
        columns = [c["name"] for c in version.columns]
        return (starter_spec(version.id, columns, asset.title, asset.description), None,
                f"{asset.title} v{version.version}")
    return starter_spec("ver_…", [], "", ""), None, None


def _render(spec_text: str, element_id: str | None, source: str | None,
            error: DomainError | None = None) -> str:
    message, errors = problem(error) if error else (None, {})
    return render_template("merchant/pipeline.html", spec_text=spec_text, element_id=element_id,
                           source=source, message=message, errors=errors,
                           step_types=sorted(REGISTRY))


@bp.get("/merchant/pipelines/new")
@page("element.create")
def builder():  # type: ignore[no-untyped-def]
    spec, element_id, source = _starting_point()
    return _render(json.dumps(spec, ensure_ascii=False, indent=2), element_id, source)


def _parse(text: str) -> dict[str, Any]:
    def no_constants(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    try:
        doc = json.loads(text, parse_constant=no_constants)
    except (ValueError, RecursionError) as err:
        raise ValidationFailed(_("The pipeline spec is not valid."), errors={
            "spec": [_("Not valid JSON: %(reason)s", reason=str(err)[:200])]}) from None
    if not isinstance(doc, dict):
        raise ValidationFailed(_("The pipeline spec is not valid."), errors={
            "spec": [_("The spec must be a JSON object.")]})
    return doc


@bp.post("/merchant/pipelines")
@page("element.create")
def build():  # type: ignore[no-untyped-def]
    text = request.form.get("spec", "")
    element_id = request.form.get("element_id") or None
    try:
        data = load(schemas.BuildIn(), {
            "spec": _parse(text), "element_id": element_id,
            "owner_org_id": None if element_id else acting_org()})
        job = services.submit(principal(), data)
    except DomainError as error:
        return _render(text, element_id, request.form.get("source") or None, error), \
            error.status
    return redirect(url_for(".job", job_id=job.id), code=303)


def progress(job: Job) -> int | None:
    """Percent done (None while unknown: an indeterminate progress bar)."""
    if job.state is JobState.succeeded:
        return 100
    if job.rows_total:
        return min(99, job.rows_done * 100 // job.rows_total)
    return 0 if job.state is JobState.queued else None


@bp.get("/merchant/jobs/<job_id>")
@page("job.read")
def job(job_id: str):  # type: ignore[no-untyped-def]
    row = services.get_job(principal(), job_id)
    return render_template("merchant/job.html", job=row, percent=progress(row),
                           final=row.state in FINAL, result=schemas.JobOut().dump(row)["result"])


@bp.get("/merchant/jobs/<job_id>.json")
@page("job.read")
def job_status(job_id: str) -> dict[str, Any]:
    row = services.get_job(principal(), job_id)
    return {**schemas.JobOut().dump(row), "percent": progress(row),
            "final": row.state in FINAL}


@bp.post("/merchant/jobs/<job_id>/cancel")
@page("job.cancel")
def cancel(job_id: str) -> Response:
    services.cancel_job(principal(), job_id)
    return redirect(url_for(".job", job_id=job_id), code=303)
