"""Asset metadata in and out (marshmallow)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.assets.models import Classification, UpdateFrequency
from marketplace.fields import StrictBool, Text


class TimeCoverage(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["start"] > data["end"]:
            raise ValidationError("start must not be after end", field_name="end")


class AssetIn(Schema):
    owner_org_id = Text(load_default=None, validate=validate.Length(max=24))
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    description = Text(load_default="", multiline=True, validate=validate.Length(max=5000))
    domain = Text(required=True, validate=validate.Length(min=1, max=64))
    source = Text(required=True, validate=validate.Length(min=1, max=500))
    collection_method = Text(required=True, validate=validate.Length(min=1, max=500))
    update_frequency = fields.Enum(UpdateFrequency, required=True)
    time_coverage = fields.Nested(TimeCoverage, load_default=None, allow_none=True)
    area_coverage = Text(required=True, validate=validate.Length(min=1, max=200))
    contains_personal_info = StrictBool(required=True)
    classification = fields.Enum(Classification, required=True)
    tags = fields.List(Text(validate=validate.Length(min=1, max=32)),
                       load_default=list, validate=validate.Length(max=20))


class ListArgs(Schema):
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    org_id = Text(load_default=None)


class UploadArgs(Schema):
    format = Text(load_default=None, validate=validate.OneOf(["csv", "jsonl", "parquet"]))
    encoding = Text(load_default=None, validate=validate.OneOf(
        ["utf-8", "utf-8-sig", "gbk", "gb18030"]))
    filename = Text(load_default=None, validate=validate.Length(min=1, max=255))


class ColumnOut(Schema):
    name = fields.Str()
    type = fields.Str()


class VersionOut(Schema):
    id = fields.Str()
    asset_id = fields.Str()
    version = fields.Int()
    sha256 = fields.Str()
    size = fields.Int()
    format = fields.Str()
    encoding = fields.Str(allow_none=True)
    encoding_source = fields.Str(allow_none=True)
    normalized_sha256 = fields.Str()
    columns = fields.List(fields.Nested(ColumnOut))
    row_count = fields.Int()
    schema_digest = fields.Str()
    filename = fields.Str(allow_none=True)
    created_at = fields.DateTime(format="iso")
    ledger_index = fields.Int()


class AssetOut(Schema):
    id = fields.Str()
    owner_org_id = fields.Str()
    title = fields.Str()
    description = fields.Str()
    domain = fields.Str()
    source = fields.Str()
    collection_method = fields.Str()
    update_frequency = fields.Enum(UpdateFrequency)
    time_coverage = fields.Method("_coverage")
    area_coverage = fields.Str()
    contains_personal_info = fields.Bool()
    classification = fields.Enum(Classification)
    tags = fields.List(fields.Str())
    latest_version = fields.Int()
    created_at = fields.DateTime(format="iso")

    def _coverage(self, asset: Any) -> dict[str, str] | None:
        if asset.time_coverage_start is None:
            return None
        return {"start": asset.time_coverage_start.isoformat(),
                "end": asset.time_coverage_end.isoformat()}
