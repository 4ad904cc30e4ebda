"""The ``element.build`` job (issue 4 §5–8): run the pipeline, profile, gate, publish.

Runs in a worker with no transaction held. The spec is validated again against the input
versions' recorded columns; the runner writes into ``VAR_DIR/jobs/<job id>`` (removed after) with
progress → ``ctx.report`` (which also raises when the job was cancelled). The output is profiled
(:func:`.gate.quality`) and scanned for PII on all rows (:func:`.gate.scan_output`); direct
identifiers outside declared licensed columns fail the job with a 422 problem. Then ONE
transaction creates the :class:`ElementVersion` and appends ``element.version.created``.

Keyed hashing secret: ``HMAC-SHA256(SECRET_KEY, "elx/element-secret/v1/" + element_id)`` —
stable per element (so its versions and joins agree), different between elements, and never
stored. Idempotent: an existing version with the runner's id is returned as it is. On any
failure the output blob is deleted unless something references it; a crashed worker's job is
cleaned up by :func:`cleanup` (``jobs.services.recover``), from the output digest the handler
parks in the job's ``result`` before publishing.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.assets.models import AssetVersion
from marketplace.db import db
from marketplace.elements import gate
from marketplace.elements.models import Element, ElementVersion
from marketplace.elements.publish import publish
from marketplace.errors import NotFound
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job
from marketplace.jobs.worker import JobContext
from marketplace.pipeline import runner
from marketplace.pipeline.compiler import input_table
from marketplace.pipeline.spec import ValidatedPipeline, load_spec

REPORT_EVERY = 0.5  # seconds between progress writes within one stage


def element_secret(secret_key: str, element_id: str) -> bytes:
    return hmac.new(secret_key.encode(), b"elx/element-secret/v1/" + element_id.encode(),
                    hashlib.sha256).digest()


def _work_dir(job_id: str) -> Path:
    return Path(current_app.config["VAR_DIR"]) / "jobs" / job_id


def _referenced(sha256: str) -> bool:
    return db.session.scalar(select(ElementVersion.id).where(
        ElementVersion.output_sha256 == sha256).limit(1)) is not None or db.session.scalar(
        select(AssetVersion.id).where((AssetVersion.sha256 == sha256) | (
            AssetVersion.normalized_sha256 == sha256)).limit(1)) is not None


def forget_output(sha256: str) -> None:
    """Delete an output blob that no version (element or asset) references."""
    db.session.rollback()
    if not _referenced(sha256):
        current_app.extensions["elx.blobs"].delete(sha256)
    db.session.rollback()


def cleanup(job: Job) -> None:
    """``recover`` hook: a dead worker's half-done build leaves nothing behind."""
    shutil.rmtree(_work_dir(job.id), ignore_errors=True)
    pending = (job.result or {}).get("pending_output_sha256")
    if pending:
        forget_output(pending)


def _progress(ctx: JobContext) -> Any:
    last: dict[str, Any] = {"at": 0.0, "label": None}

    def report(p: runner.Progress) -> None:
        label = p.stage if p.step is None else f"{p.stage}: step {p.step}"
        now = time.monotonic()
        if label == last["label"] and now - last["at"] < REPORT_EVERY:
            return
        last.update(at=now, label=label)
        ctx.report(p.rows_processed or 0, p.rows_total, label)

    return report


def _load(ctx: JobContext) -> tuple[ValidatedPipeline, dict[str, AssetVersion]]:
    spec = ctx.params["spec"]
    ids = [i.get("version_id") for i in spec.get("inputs", []) if isinstance(i, dict)]
    found = {v.id: v for v in db.session.scalars(select(AssetVersion).where(
        AssetVersion.id.in_([i for i in ids if isinstance(i, str)])))}
    pipeline = load_spec(spec, {vid: v.columns for vid, v in found.items()})
    return pipeline, found


def build(ctx: JobContext) -> dict[str, Any]:
    """The job handler: returns ``{"element_id", "version_id"}``."""
    cfg, store = current_app.config, current_app.extensions["elx.blobs"]
    pipeline, versions = _load(ctx)
    secret = element_secret(cfg["SECRET_KEY"], ctx.params["element_id"])
    spec = pipeline.spec
    digests = {x.alias: versions[x.version_id].normalized_sha256 for x in spec.inputs}
    expected = runner.element_version_id(digests, spec.spec_hash, runner.ENGINE_VERSION,
                                         runner.secret_id(secret) if spec.uses_secret else None)
    if (done := db.session.get(ElementVersion, expected)) is not None:
        return {"element_id": done.element_id, "version_id": done.id}
    if not ctx.params["new"] and db.session.get(Element, ctx.params["element_id"]) is None:
        raise NotFound("The element no longer exists.")
    inputs = {x.alias: input_table(
        store.local_path(v.normalized_sha256), v.format, v.columns, v.normalized_sha256,
        v.row_count, memory_limit=cfg["DUCKDB_MEMORY_LIMIT"])
        for x in spec.inputs for v in [versions[x.version_id]]}
    db.session.rollback()  # no transaction (no SQLite write lock) while the engine runs
    work = _work_dir(ctx.job_id)
    work.mkdir(parents=True, exist_ok=True)
    try:
        try:
            result = runner.run(pipeline, inputs, store=store, temp_dir=work, secret=secret,
                                memory_limit=cfg["DUCKDB_MEMORY_LIMIT"],
                                progress=_progress(ctx))
        except runner.Cancelled:
            raise jobs.Cancelled(ctx.job_id) from None
        db.session.execute(update(Job).where(Job.id == ctx.job_id).values(
            result={"pending_output_sha256": result.output.sha256}))
        db.session.commit()
        try:
            return _finish(ctx, pipeline, versions, result, work)
        except BaseException:
            forget_output(result.output.sha256)
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _finish(ctx: JobContext, pipeline: ValidatedPipeline, versions: dict[str, AssetVersion],
            result: runner.RunResult, work: Path) -> dict[str, Any]:
    cfg, store = current_app.config, current_app.extensions["elx.blobs"]
    path = store.local_path(result.output.sha256)
    columns = [(c.name, c.type) for c in result.schema.columns]
    config = {"memory_limit": cfg["DUCKDB_MEMORY_LIMIT"], "temp_directory": str(work / "q")}
    ctx.report(result.row_count, result.row_count, "quality profile")
    quality = gate.quality(path, columns, config, result.row_count)
    ctx.report(result.row_count, result.row_count, "PII scan")
    pii = gate.scan_output(path, columns, config)
    gate.refuse_unlicensed(pii, pipeline.spec.element)
    ctx.report(result.row_count, result.row_count, "publish")
    try:
        row = publish(ctx, pipeline, versions, result, quality, pii)
    except IntegrityError:  # the same build was published meanwhile
        db.session.rollback()
        row = db.session.get(ElementVersion, result.element_version_id)
        if row is None:
            raise
    return {"element_id": row.element_id, "version_id": row.id}
