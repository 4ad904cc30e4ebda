"""Payout and invoice routes (issue 6 §3); documented in openapi.yaml.

``POST|GET /revenue/payouts`` (recorded bank transfers), ``POST /revenue/invoices/run`` (the
operator's run of a billing period), ``GET /revenue/invoices``, ``GET /revenue/invoices/{id}``
and ``POST /revenue/invoices/{id}/pay`` (the buyer, with an ``Idempotency-Key``).
"""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.fields import Text
from marketplace.http import json_body, load
from marketplace.orders.ordering import HEADER
from marketplace.revenue import billing, invoice_pay, payouts
from marketplace.revenue.billing_models import InvoiceStatus

bp = Blueprint("billing", __name__)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$")
PERIOD = validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$")  # ASCII digits only


class PayoutIn(Schema):
    merchant_org_id = Text(required=True, validate=validate.Length(min=1, max=24))
    amount_fen = fields.Int(required=True, strict=True,
                            validate=validate.Range(min=1, max=10**15))
    currency = Text(required=True, validate=CURRENCY)
    bank_reference = Text(required=True,
                          validate=validate.Regexp(r"^(?=.*\S).{1,128}$"))


class _Page(Schema):
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class PayoutArgs(_Page):
    merchant_org_id = Text(load_default=None, validate=validate.Length(min=1, max=24))


class InvoiceArgs(_Page):
    period = Text(load_default=None, validate=PERIOD)
    status = fields.Enum(InvoiceStatus, by_value=True, load_default=None)


class PayIn(Schema):
    payment_method = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_]{1,255}$"))


class RunIn(Schema):
    period = Text(required=True, validate=PERIOD)


@bp.post("/revenue/payouts")
@action("revenue.payout.write")
def record_payout():  # type: ignore[no-untyped-def]
    data = load(PayoutIn(), json_body())
    row, replayed = payouts.record(current_principal(), request.headers.get(HEADER), data)
    return payouts.document(row), 201, ({"Idempotent-Replayed": "true"} if replayed else {})


@bp.get("/revenue/payouts")
@action("revenue.payout.list")
def list_payouts():  # type: ignore[no-untyped-def]
    args = load(PayoutArgs(), request.args.to_dict())
    rows, cursor = payouts.listing(current_principal(), args["merchant_org_id"], args["cursor"],
                                   args["limit"])
    return {"items": [payouts.document(r) for r in rows], "next_cursor": cursor}


@bp.post("/revenue/invoices/run")
@action("revenue.invoice.run")
def run_invoices():  # type: ignore[no-untyped-def]
    data = load(RunIn(), json_body())
    return billing.run(current_principal(), data["period"])


@bp.get("/revenue/invoices")
@action("revenue.invoice.list")
def list_invoices():  # type: ignore[no-untyped-def]
    args = load(InvoiceArgs(), request.args.to_dict())
    rows, cursor = billing.listing(current_principal(), args["period"], args["status"],
                                   args["cursor"], args["limit"])
    return {"items": [billing.document(r) for r in rows], "next_cursor": cursor}


@bp.get("/revenue/invoices/<invoice_id>")
@action("revenue.invoice.read")
def get_invoice(invoice_id: str):  # type: ignore[no-untyped-def]
    load(Schema(), request.args.to_dict())
    return billing.document(billing.get(current_principal(), invoice_id))


@bp.post("/revenue/invoices/<invoice_id>/pay")
@action("revenue.invoice.pay")
def pay_invoice(invoice_id: str):  # type: ignore[no-untyped-def]
    data = load(PayIn(), json_body())
    row, replayed = invoice_pay.pay(current_principal(), invoice_id,
                                    request.headers.get(HEADER), data["payment_method"])
    return billing.document(row), 200, ({"Idempotent-Replayed": "true"} if replayed else {})
