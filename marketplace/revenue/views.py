"""Revenue and audit routes (issue 6 §3, §4); documented in openapi.yaml.

``GET /revenue/trial-balance``, ``GET /revenue/journal`` (a JSON page, or every line streamed as
``format=csv`` / ``format=jsonl``), ``GET /revenue/statements``, ``GET /revenue/reconciliation``,
``GET|POST /revenue/fee-schedules`` and ``GET /audit/export`` (a JSON Lines audit pack).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, stream_with_context
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowError

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.fields import Text
from marketplace.http import json_body, load
from marketplace.revenue import services
from marketplace.revenue.models import FeeSchedule

bp = Blueprint("revenue", __name__)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$")


class DateRange(Schema):
    """``from``/``to`` days, inclusive, in order (the audit API and the console share it)."""

    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)

    @validates_schema
    def _order(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise MarshmallowError({"to": ["Must not be before from."]})


class JournalArgs(DateRange):
    format = Text(load_default="json", validate=validate.OneOf(["json", "csv", "jsonl"]))
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=500))


class StatementArgs(DateRange):
    merchant_org_id = Text(load_default=None, validate=validate.Length(min=1, max=24))
    currency = Text(load_default="CNY", validate=CURRENCY)


class FeeScheduleIn(Schema):
    currency = Text(required=True, validate=CURRENCY)
    effective_from = fields.AwareDateTime(required=True)
    platform_bps = fields.Int(required=True, strict=True, validate=validate.Range(0, 10_000))
    public_service_bps = fields.Int(required=True, strict=True,
                                    validate=validate.Range(0, 10_000))
    minimum_fee_fen = fields.Int(required=True, strict=True,
                                 validate=validate.Range(0, 10**12))


def schedule_out(s: FeeSchedule) -> dict[str, Any]:
    return {"id": s.id, "currency": s.currency, "effective_from": s.effective_from.isoformat(),
            "platform_bps": s.platform_bps, "public_service_bps": s.public_service_bps,
            "minimum_fee_fen": s.minimum_fee_fen, "created_at": s.created_at.isoformat()}


@bp.get("/revenue/trial-balance")
@action("revenue.read")
def trial_balance():  # type: ignore[no-untyped-def]
    return services.trial_balance(current_principal())


@bp.get("/revenue/journal")
@action("revenue.read")
def journal():  # type: ignore[no-untyped-def]
    args = load(JournalArgs(), request.args.to_dict())
    if args["format"] != "json":
        chunks = services.journal_stream(current_principal(), args["format"], args["from_"],
                                         args["to"])
        mimetype = "text/csv" if args["format"] == "csv" else "application/x-ndjson"
        return Response(stream_with_context(chunks), mimetype=mimetype)
    items, cursor = services.journal(current_principal(), args["from_"], args["to"],
                                     args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}


@bp.get("/revenue/statements")
@action("revenue.statement.read")
def statements():  # type: ignore[no-untyped-def]
    from datetime import date

    args = load(StatementArgs(), request.args.to_dict())
    return services.statement(current_principal(), args["merchant_org_id"], args["currency"],
                              args["from_"] or date(1970, 1, 1), args["to"] or date(9999, 12, 31))


@bp.get("/revenue/reconciliation")
@action("revenue.read")
def reconciliation():  # type: ignore[no-untyped-def]
    load(Schema(), request.args.to_dict())
    return services.reconciliation(current_principal())


@bp.get("/revenue/fee-schedules")
@action("revenue.read")
def list_fee_schedules():  # type: ignore[no-untyped-def]
    load(Schema(), request.args.to_dict())
    return {"items": [schedule_out(s) for s in services.fee_schedules(current_principal())]}


@bp.post("/revenue/fee-schedules")
@action("revenue.fees.write")
def create_fee_schedule():  # type: ignore[no-untyped-def]
    data = load(FeeScheduleIn(), json_body())
    return schedule_out(services.set_fee_schedule(current_principal(), data)), 201


@bp.get("/audit/export")
@action("revenue.read")
def audit_export():  # type: ignore[no-untyped-def]
    load(Schema(), request.args.to_dict())
    chunks = services.audit_pack(current_principal())
    return Response(stream_with_context(chunks), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="audit-pack.jsonl"'})
