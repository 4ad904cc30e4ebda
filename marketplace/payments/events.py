"""``POST /payments/webhook`` (issue 6 §2): verify ``Stripe-Signature``, store each event once,
apply it idempotently.

The signature is checked first (400 problem when missing, malformed, forged or outside the
5-minute tolerance; nothing is stored). The event row is unique on the provider's event id, so a
redelivery is a 200 no-op, even when two deliveries race. ``payment_intent.succeeded`` /
``payment_intent.payment_failed`` / ``charge.refunded`` go through :mod:`.settle`, which makes
duplicates and out-of-order deliveries harmless; a PaymentIntent of a metered-usage invoice goes
to :mod:`marketplace.revenue.invoice_payments`; other types and events about objects that are
not ours are stored as ``ignored``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import (
    BadRequest,
    DomainError,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from marketplace.ids import new_id
from marketplace.payments import settle
from marketplace.payments.models import PaymentAttempt, PaymentEvent
from marketplace.payments.webhooks import configured_secrets, verify_signature
from marketplace.revenue.invoice_payments import invoice_of, paid

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        event = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The event is not valid JSON.") from exc
    if not (isinstance(event, dict) and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance((event.get("data") or {}).get("object"), dict)):
        raise ValidationFailed("The event lacks an id, a type or data.object.",
                               errors={"_schema": ["Expected id, type and data.object."]})
    return event


def _order_of(obj: dict[str, Any], intent_id: str | None) -> str:
    order_id = (obj.get("metadata") or {}).get("order_id")
    if not order_id and intent_id:
        order_id = db.session.scalar(select(PaymentAttempt.order_id).where(
            PaymentAttempt.intent_id == intent_id))
    if not order_id:
        raise NotFound("The event is not about one of our orders.")
    return order_id


def _dispatch(kind: str, obj: dict[str, Any]) -> None:
    invoice_id = invoice_of(obj) if kind != "charge.refunded" else None
    if invoice_id is not None:  # a metered-usage invoice's payment
        if kind == "payment_intent.succeeded":
            paid(invoice_id, obj["id"])
        else:  # a failed attempt: the invoice stays due, the buyer may try again
            db.session.commit()
    elif kind == "payment_intent.succeeded":
        settle.succeeded(_order_of(obj, obj["id"]), obj["id"])
    elif kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        settle.failed(_order_of(obj, obj["id"]), obj["id"],
                      str(error.get("decline_code") or error.get("code") or "payment_failed"))
    else:  # charge.refunded
        order_id = _order_of({}, obj.get("payment_intent"))
        for item in (obj.get("refunds") or {}).get("data") or []:
            settle.refunded(order_id, str(item["id"]), int(item["amount"]))
        db.session.commit()


def receive(payload: bytes, header: str | None, mimetype: str) -> dict[str, Any]:
    """Handle one delivery; returns ``{"received", "duplicate", "outcome"}``."""
    secrets = configured_secrets(current_app.config["STRIPE_WEBHOOK_SECRET"])
    verify_signature(payload, header or "", secrets, utcnow())
    if mimetype != "application/json":
        raise UnsupportedMediaType("Events are application/json.")
    event = _parse(payload)
    obj = event["data"]["object"]
    row = dict(id=new_id("pev"), provider_event_id=event["id"][:255],
               type=event["type"][:80], object_id=str(obj.get("id"))[:255], payload=event,
               received_at=utcnow())
    outcome = "applied" if event["type"] in HANDLED else "ignored"
    if not _store(PaymentEvent(**row, outcome=outcome)):
        return {"received": True, "duplicate": True, "outcome": "duplicate"}
    if outcome == "applied":
        try:
            _dispatch(event["type"], obj)
        except DomainError as exc:  # not ours, or a move the state machine refuses
            db.session.rollback()
            outcome = f"ignored: {exc.slug}"
            if not _store(PaymentEvent(**{**row, "id": new_id("pev")}, outcome=outcome)):
                return {"received": True, "duplicate": True, "outcome": "duplicate"}
            db.session.commit()
    else:
        db.session.commit()
    return {"received": True, "duplicate": False, "outcome": outcome}


def _store(event: PaymentEvent) -> bool:
    """Add the event (flushed, not committed); False when it was stored before."""
    if db.session.scalar(select(PaymentEvent.id).where(
            PaymentEvent.provider_event_id == event.provider_event_id)) is not None:
        db.session.rollback()
        return False
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
