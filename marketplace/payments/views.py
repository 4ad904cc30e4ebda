"""Payments routes (issue 6 §1-§3, §5); documented in openapi.yaml.

``POST /orders/{id}/pay`` (the buyer), ``POST /orders/{id}/refund`` (the operator, with an
``Idempotency-Key``) and the provider's ``POST /payments/webhook`` (public, Stripe-signed).
Registering the blueprint installs the gateway ``PAYMENTS_GATEWAY`` names (before the orders
blueprint would install its fake).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from marshmallow import Schema, fields, validate

from marketplace.auth import current_principal
from marketplace.authz import action, public
from marketplace.errors import PayloadTooLarge
from marketplace.fields import Text
from marketplace.http import json_body, load
from marketplace.orders import schemas as order_schemas
from marketplace.orders.ordering import HEADER
from marketplace.payments import events, gateway, services

bp = Blueprint("payments", __name__)


@bp.record_once
def _install_gateway(state: BlueprintSetupState) -> None:
    gateway.install(state.app)


class PayIn(Schema):
    payment_method = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_]{1,255}$"))


class RefundIn(Schema):
    amount_fen = fields.Int(load_default=None, strict=True,
                            validate=validate.Range(min=1, max=10**15))
    reason = Text(required=True, multiline=True,
                  validate=validate.Regexp(r"^(?=[\s\S]*\S)[\s\S]{1,2000}$"))


@bp.post("/orders/<order_id>/pay")
@action("order.pay")
def pay(order_id: str):  # type: ignore[no-untyped-def]
    data = load(PayIn(), json_body())
    order = services.pay(current_principal(), order_id, data["payment_method"])
    return order_schemas.order_out(order, services.agreement_of(order.id))


@bp.post("/orders/<order_id>/refund")
@action("order.refund")
def refund(order_id: str):  # type: ignore[no-untyped-def]
    data = load(RefundIn(), json_body())
    row, replayed = services.refund(current_principal(), order_id,
                                    request.headers.get(HEADER), data)
    return services.refund_document(row), 201, ({"Idempotent-Replayed": "true"} if replayed else {})


@bp.post("/payments/webhook")
@public("payments.webhook")
def webhook():  # type: ignore[no-untyped-def]
    limit = current_app.config["MAX_JSON_BYTES"]
    payload = request.stream.read(limit + 1)
    if len(payload) > limit:
        raise PayloadTooLarge(f"Events are limited to {limit} bytes.")
    return events.receive(payload, request.headers.get("Stripe-Signature"), request.mimetype)
