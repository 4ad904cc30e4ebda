"""Order and license documents in (marshmallow; unknown fields are 422) and out (issue 5 §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from contracts import AgreementState
from marketplace.fields import Text
from marketplace.orders.models import Agreement, AgreementEventRow, Order

PURPOSE = r"^[a-z][a-z0-9_]{0,63}$"  # contracts' purpose slug
SHA256 = r"^[0-9a-f]{64}$"


def _id() -> Text:
    return Text(required=True, validate=validate.Length(min=1, max=24))


class OrderIn(Schema):
    listing_id = _id()
    plan_id = _id()
    purpose = Text(required=True, validate=validate.Regexp(PURPOSE))
    accepted_terms_hash = Text(required=True, validate=validate.Regexp(SHA256))
    buyer_org_id = Text(load_default=None, validate=validate.Length(min=1, max=24))


class TermsArgs(Schema):
    plan_id = _id()
    purpose = Text(required=True, validate=validate.Regexp(PURPOSE))


class RevokeIn(Schema):
    reason = Text(required=True, multiline=True,
                  validate=validate.Regexp(r"^(?=[\s\S]*\S)[\s\S]{1,2000}$"))


class LicenseListArgs(Schema):
    state = fields.Enum(AgreementState, by_value=True, load_default=None)
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def terms_out(terms: Any) -> dict[str, Any]:
    listing = terms.listing
    return {"listing_id": listing.id, "element_id": listing.element_id,
            "element_version_id": listing.element_version_id,
            "merchant_org_id": listing.org_id, "plan_id": terms.plan.id,
            "purpose": terms.purpose, "policy": terms.policy_doc,
            "policy_digest": terms.policy_digest, "price": terms.price,
            "terms_hash": terms.terms_hash, "contract_text": terms.contract_text()}


def next_action(order: Order, agreement: Agreement) -> dict[str, Any] | None:
    """What the buyer must do now: pay, use the license, or nothing more."""
    if agreement.state is AgreementState.PENDING_PAYMENT:
        return order.payment_action or {"type": "pay", "provider": order.payment_provider,
                                        "reference": order.payment_ref,
                                        "amount_fen": order.amount_fen,
                                        "currency": order.currency}
    if agreement.state is AgreementState.ACTIVE:
        return {"type": "use_license", "license_id": agreement.id}
    return None


def order_out(order: Order, agreement: Agreement) -> dict[str, Any]:
    names = ("id", "buyer_org_id", "buyer_user_id", "listing_id", "plan_id", "purpose",
             "amount_fen", "currency")
    out: dict[str, Any] = {n: getattr(order, n) for n in names}
    out["state"] = order.state.value
    out["payment"] = None if order.payment_provider is None and order.paid_at is None else {
        "provider": order.payment_provider, "reference": order.payment_ref,
        "error": order.payment_error, "paid_at": _iso(order.paid_at)}
    out["created_at"] = _iso(order.created_at)
    out["license"] = {"id": agreement.id, "state": agreement.state.value,
                      "terms_hash": agreement.terms_hash,
                      "ledger_index": agreement.ledger_index,
                      "valid_from": _iso(agreement.valid_from),
                      "valid_until": _iso(agreement.valid_until)}
    out["next_action"] = next_action(order, agreement)
    return out


def license_summary(agreement: Agreement) -> dict[str, Any]:
    names = ("id", "order_id", "listing_id", "plan_id", "element_id", "element_version_id",
             "buyer_org_id", "merchant_org_id", "purpose", "terms_hash", "count_used",
             "accepted_by", "revoke_reason", "ledger_index")
    out: dict[str, Any] = {n: getattr(agreement, n) for n in names}
    out["state"] = agreement.state.value
    for n in ("valid_from", "valid_until", "accepted_at", "revoked_at", "created_at"):
        out[n] = _iso(getattr(agreement, n))
    return out


def event_out(row: AgreementEventRow) -> dict[str, Any]:
    return {"seq": row.seq, "event": row.event.value if row.event else None,
            "from": row.from_state.value if row.from_state else None,
            "to": row.to_state.value, "reason": row.reason, "actor_org_id": row.actor_org_id,
            "actor_user_id": row.actor_user_id, "at": _iso(row.at),
            "ledger_index": row.ledger_index}


def license_out(agreement: Agreement, events: Sequence[AgreementEventRow],
                text: dict[str, str]) -> dict[str, Any]:
    """The whole license: summary, exact policy and price, contract text, history."""
    return {**license_summary(agreement), "policy": agreement.policy,
            "policy_digest": agreement.policy_digest, "price": agreement.price,
            "contract_text": text, "history": [event_out(e) for e in events]}
