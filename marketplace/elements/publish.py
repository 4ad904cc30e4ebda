"""Publishing a built element version (issue 4 §7–8): in ONE transaction, the (new) element,
its immutable version row and the ``element.version.created`` ledger entry."""

from __future__ import annotations

from typing import Any

from marketplace.assets.models import AssetVersion
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import NotFound
from marketplace.jobs.worker import JobContext
from marketplace.ledger_api import services as ledger
from marketplace.pipeline.runner import RunResult
from marketplace.pipeline.spec import ValidatedPipeline

VERSION_CREATED = "element.version.created"
DELIVERY_MODES = ["records_api", "sandbox"]
SAMPLE_LIMIT = 20


def _schema(result: RunResult, pipeline: ValidatedPipeline) -> list[dict[str, Any]]:
    described = dict(pipeline.spec.element.column_descriptions)
    return [{"name": c.name, "type": c.type, "description": described.get(c.name, "")}
            for c in result.schema.columns]


def _pii_summary(pii: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"scanned_columns": sorted(pii),
            "findings": {c: r["counts"] for c, r in sorted(pii.items()) if r["counts"]}}


def _decimal(score: Any) -> str | None:
    """Scores as fixed-point text: the ledger's canonical JSON has no floats."""
    return None if score is None else f"{float(score):.2f}"


def _quality_summary(quality: dict[str, Any]) -> dict[str, Any]:
    return {"score": _decimal(quality.get("score")), "rows": quality.get("rows"),
            "dimensions": {d: _decimal(v) for d, v in (quality.get("dimensions") or {}).items()}}


def publish(ctx: JobContext, pipeline: ValidatedPipeline, versions: dict[str, AssetVersion],
            result: RunResult, quality: dict[str, Any],
            pii: dict[str, dict[str, Any]]) -> ElementVersion:
    """Create the version and its ledger entry, then commit; raises IntegrityError when the
    same version id was published concurrently."""
    spec, settings = pipeline.spec, pipeline.spec.element
    element_id = ctx.params["element_id"]
    element = db.session.get(Element, element_id, with_for_update=True)
    now = utcnow()
    if element is None:
        if not ctx.params["new"]:
            raise NotFound("The element no longer exists.")
        element = Element(id=element_id, owner_org_id=ctx.owner_org_id, title=settings.title,
                          description=settings.description, created_by=ctx.created_by,
                          created_at=now, latest_version=0)
        db.session.add(element)
        db.session.flush()
    element.latest_version += 1
    inputs = [{"alias": x.alias, "version_id": x.version_id,
               "sha256": versions[x.version_id].normalized_sha256} for x in spec.inputs]
    licensed = [{"column": x.column, "legal_basis": x.legal_basis, "note": x.note}
                for x in settings.licensed_personal_data]
    row = ElementVersion(
        id=result.element_version_id, element_id=element.id, version=element.latest_version,
        spec=ctx.params["spec"], spec_hash=result.spec_hash, inputs=inputs,
        output_sha256=result.output.sha256, output_size=result.output.size,
        row_count=result.row_count, schema=_schema(result, pipeline), quality=quality,
        pii={"columns": pii, "licensed_personal_data": licensed},
        k_anonymity=[dict(k) for k in result.k_anonymity],
        sample=[dict(r) for r in result.sample_rows[:SAMPLE_LIMIT]],
        engine_version=result.engine_version, delivery_modes=list(DELIVERY_MODES),
        created_by=ctx.created_by, created_at=now, ledger_index=-1)
    actor = Principal(user_id=ctx.created_by, email="", memberships=())
    row.ledger_index = ledger.record(VERSION_CREATED, row.id, actor, element.owner_org_id, {
        "owner_org": element.owner_org_id, "element_id": element.id, "version": row.version,
        "version_id": row.id, "inputs": inputs, "spec_hash": row.spec_hash,
        "output_sha256": row.output_sha256, "output_size": row.output_size,
        "row_count": row.row_count,
        "quality": _quality_summary(quality),
        "pii": _pii_summary(pii), "licensed_personal_data": licensed,
        "k_anonymity": [{"k": k.get("k"), "smallest_class": k.get("smallest_class"),
                         "quasi_identifiers": k.get("quasi_identifiers")}
                        for k in row.k_anonymity],
        "engine_version": row.engine_version, "created_at": now.isoformat(),
    })
    db.session.add(row)
    db.session.commit()
    return row
