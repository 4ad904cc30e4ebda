"""Listing documents in (marshmallow; unknown fields are 422) and out (issue 5 §2).

Plans are validated per kind: a field that does not belong to the plan's kind is rejected, so
``{"kind": "free", "period": "monthly"}`` is 422 at ``plans.<i>.period``. Prices are integer
fen >= 0 (JSON booleans and fractions are not integers), in CNY.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.elements.publish import DELIVERY_MODES
from marketplace.fields import StrictBool, Text
from marketplace.listings.models import ListingState, MeterUnit, Period, PlanKind

MAX_FEN = 10**12  # ten billion CNY: far above any plan, far below BIGINT
CURRENCIES = ["CNY"]
KIND_FIELDS: dict[PlanKind, frozenset[str]] = {
    PlanKind.free: frozenset({"price_fen"}),
    PlanKind.one_off: frozenset({"price_fen"}),
    PlanKind.subscription: frozenset({"price_fen", "period", "auto_renew"}),
    PlanKind.metered: frozenset({"unit", "unit_price_fen", "included_quota"}),
}
REQUIRED: dict[PlanKind, tuple[str, ...]] = {
    PlanKind.one_off: ("price_fen",), PlanKind.subscription: ("price_fen", "period"),
    PlanKind.metered: ("unit", "unit_price_fen")}


class StrictInt(fields.Integer):
    """Only JSON integers: no booleans, no ``1.0``, no ``"1"``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def _fen() -> StrictInt:
    return StrictInt(validate=validate.Range(min=0, max=MAX_FEN))


class PlanIn(Schema):
    kind = fields.Enum(PlanKind, required=True)
    currency = Text(load_default="CNY", validate=validate.OneOf(CURRENCIES))
    price_fen = _fen()
    period = fields.Enum(Period)
    auto_renew = StrictBool()
    unit = fields.Enum(MeterUnit)
    unit_price_fen = _fen()
    included_quota = StrictInt(validate=validate.Range(min=0, max=MAX_FEN))

    @validates_schema
    def _by_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind")
        if kind is None:
            return
        errors: dict[str, list[str]] = {}
        for name in sorted(set(data) - {"kind", "currency"} - KIND_FIELDS[kind]):
            errors[name] = [f"Not allowed for {kind.value} plans."]
        for name in REQUIRED.get(kind, ()):
            if name not in data:
                errors[name] = [f"Required for {kind.value} plans."]
        if kind is PlanKind.free and data.get("price_fen", 0) != 0:
            errors["price_fen"] = ["A free plan costs 0."]
        if errors:
            raise ValidationError(errors)


class ListingIn(Schema):
    element_id = Text(required=True, validate=validate.Length(min=1, max=24))
    version = StrictInt(load_default=None, validate=validate.Range(min=1))
    title = Text(load_default=None, validate=validate.Regexp(r"^(?=.*\S).{1,200}$"))
    summary = Text(load_default=None, multiline=True, validate=validate.Length(max=2000))
    domain = Text(required=True, validate=validate.Regexp(r"^(?=.*\S).{1,32}$"))
    delivery_modes = fields.List(Text(validate=validate.OneOf(DELIVERY_MODES)),
                                 load_default=None, validate=validate.Length(min=1, max=8))
    license_template = Text(required=True, validate=validate.Length(min=1, max=64))
    license_params = fields.Dict(keys=Text(validate=validate.Length(min=1, max=64)),
                                 load_default=dict)
    plans = fields.List(fields.Nested(PlanIn), required=True,
                        validate=validate.Length(min=1, max=10))


class ApproveIn(Schema):
    note = Text(load_default=None, multiline=True, validate=validate.Length(min=1, max=2000))


class ReasonIn(Schema):
    reason = Text(required=True, multiline=True,
                  validate=validate.Regexp(r"^(?=[\s\S]*\S)[\s\S]{1,2000}$"))


class ListArgs(Schema):
    state = fields.Enum(ListingState, load_default=None)
    org_id = Text(load_default=None, validate=validate.Length(max=24))
    element_id = Text(load_default=None, validate=validate.Length(max=24))
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


def plan_out(plan: Any) -> dict[str, Any]:
    """Only the fields of the plan's kind."""
    out: dict[str, Any] = {"id": plan.id, "kind": plan.kind.value, "currency": plan.currency}
    for name in sorted(KIND_FIELDS[plan.kind]):
        value = getattr(plan, name)
        out[name] = value.value if hasattr(value, "value") else value
    return out


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def listing_out(listing: Any, review: bool) -> dict[str, Any]:
    """The listing; ``review`` (valuation flag, notes, reasons) only for its merchant and
    operator staff, else null."""
    names = ("id", "element_id", "element_version_id", "version", "org_id", "title", "summary",
             "domain", "delivery_modes", "license_template", "license_params", "currency",
             "price_from_fen", "ledger_index")
    out = {n: getattr(listing, n) for n in names}
    out["state"] = listing.state.value
    out["plans"] = [plan_out(p) for p in listing.plans]
    for n in ("created_at", "submitted_at", "reviewed_at", "listed_at", "delisted_at"):
        out[n] = _iso(getattr(listing, n))
    out["review"] = None if not review else {
        "valuation": None if listing.valuation_flag is None else {
            "flag": listing.valuation_flag.value, "low_fen": listing.valuation_low_fen,
            "high_fen": listing.valuation_high_fen, "plans_outside": listing.plans_outside},
        "note": listing.review_note, "reject_reason": listing.reject_reason,
        "delist_reason": listing.delist_reason, "reviewed_by": listing.reviewed_by}
    return out
