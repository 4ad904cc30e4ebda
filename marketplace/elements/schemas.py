"""Element and job documents in and out (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.fields import Text


class BuildIn(Schema):
    spec = fields.Dict(required=True)
    element_id = Text(load_default=None, validate=validate.Length(min=1, max=24))
    owner_org_id = Text(load_default=None, validate=validate.Length(min=1, max=24))


class VersionArgs(Schema):
    version = fields.Int(load_default=None, validate=validate.Range(min=1))


class JobOut(Schema):
    id = fields.Str()
    kind = fields.Str()
    owner_org_id = fields.Str()
    state = fields.Function(lambda j: j.state.value)
    cancel_requested = fields.Bool()
    rows_done = fields.Int()
    rows_total = fields.Int(allow_none=True)
    current_step = fields.Str(allow_none=True)
    error = fields.Dict(allow_none=True)
    result = fields.Method("_result")
    created_at = fields.DateTime(format="iso")
    started_at = fields.DateTime(format="iso", allow_none=True)
    finished_at = fields.DateTime(format="iso", allow_none=True)

    def _result(self, job: object) -> dict[str, str] | None:
        result = getattr(job, "result", None) or {}
        if "version_id" not in result:
            return None  # a running build's bookkeeping is not part of the answer
        return {"element_id": result["element_id"], "version_id": result["version_id"]}


class VersionOut(Schema):
    id = fields.Str()
    element_id = fields.Str()
    version = fields.Int()
    spec = fields.Dict()
    spec_hash = fields.Str()
    inputs = fields.List(fields.Dict())
    output_sha256 = fields.Str()
    output_size = fields.Int()
    row_count = fields.Int()
    schema = fields.List(fields.Dict())
    quality_score = fields.Function(lambda v: v.quality.get("score"))
    pii = fields.Dict()
    k_anonymity = fields.List(fields.Dict())
    engine_version = fields.Str()
    delivery_modes = fields.List(fields.Str())
    created_at = fields.DateTime(format="iso")
    ledger_index = fields.Int()


class ElementOut(Schema):
    id = fields.Str()
    owner_org_id = fields.Str()
    title = fields.Str()
    description = fields.Str()
    latest_version = fields.Int()
    created_at = fields.DateTime(format="iso")
    latest = fields.Nested(VersionOut, allow_none=True)
