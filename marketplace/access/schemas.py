"""Access documents in and out (issue 7): query policies, records pages, sandbox answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.access.policy import Effective
from marketplace.access.recordsql import to_json
from marketplace.fields import Text

__all__ = ["PolicyArgs", "PolicyIn", "QueryIn", "RecordsArgs", "policy_out", "query_out",
           "records_args"]

PURPOSE = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="Not a purpose name.")


class PolicyArgs(Schema):
    version = fields.Int(load_default=None, validate=validate.Range(min=1))


class PolicyIn(Schema):
    policy = fields.Dict(required=True)
    excluded_columns = fields.List(Text(validate=validate.Length(min=1, max=200)),
                                   load_default=None, validate=validate.Length(max=500))


class QueryIn(Schema):
    sql = Text(required=True, multiline=True, validate=validate.Length(min=1, max=20_000))
    purpose = Text(load_default=None, validate=PURPOSE)


class RecordsArgs(Schema):
    columns = Text(data_key="fields", load_default=None, validate=validate.Length(min=1, max=4000))
    filter = fields.List(Text(validate=validate.Length(min=3, max=1000)), load_default=list)
    key = fields.List(Text(validate=validate.Length(min=1, max=200)), load_default=list)
    cursor = Text(load_default=None, validate=validate.Length(min=1, max=40))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000))


def records_args(args: Any) -> dict[str, Any]:
    """The query string as RecordsArgs wants it (``filter`` and ``key`` repeat)."""
    return {k: args.getlist(k) if k in ("filter", "key") else args[k] for k in args}


def policy_out(found: Effective) -> dict[str, Any]:
    v = found.version
    return {"element_id": v.element_id, "version_id": v.id, "version": v.version,
            "source": found.source,
            "policy": found.policy.to_dict() if found.policy is not None else None,
            "excluded_columns": list(found.excluded),
            "licensed_columns": list(found.licensed),
            "problems": dict(found.problems),
            "updated_at": found.row.updated_at.isoformat() if found.row else None}


def records_out(page: Any) -> dict[str, Any]:
    return {"element_id": page.element_id, "version_id": page.version_id,
            "license_id": page.license_id, "fields": page.fields,
            "items": [dict(zip(page.fields, (to_json(v) for v in row), strict=True))
                      for row in page.rows],
            "next_cursor": page.next_cursor}


def query_out(outcome: dict[str, Any], result: Any) -> dict[str, Any]:
    return {**outcome, "fingerprint": result.fingerprint, "columns": list(result.columns),
            "rows": [[to_json(v) for v in row] for row in result.rows],
            "suppressed": result.suppressed, "truncated": result.truncated}
