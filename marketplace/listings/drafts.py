"""Checks a new listing must pass beyond its schema (issue 5 §2); each failure is 422 naming
the field: the element version exists, delivery modes are the version's, the license template
and its parameters are valid (:mod:`contracts` builds the policy), metered plans meter a mode
the listing offers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import ValidationFailed
from marketplace.ids import new_id
from marketplace.listings.models import Listing, ListingPlan, MeterUnit, PlanKind, ValuationFlag

#: Template parameters a listing may fix; price, currency and start come from each order.
LICENSE_PARAMS = frozenset({"purposes", "regions", "recipients", "valid_days", "max_calls",
                            "attribution", "delete_within_days"})
METERED_MODE = {MeterUnit.api_call: "records_api", MeterUnit.sandbox_query: "sandbox"}


def element_version(element: Element, number: int | None) -> ElementVersion:
    row = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id,
        ElementVersion.version == (number or element.latest_version)))
    if row is None:
        raise ValidationFailed(errors={"version": ["The element has no such version."]})
    return row


def delivery_modes(version: ElementVersion, wanted: list[str] | None) -> list[str]:
    """The requested modes (default: all of the version's), in the version's order."""
    offered = list(version.delivery_modes)
    if wanted is None:
        return offered
    unknown = sorted(set(wanted) - set(offered))
    if unknown:
        raise ValidationFailed(errors={"delivery_modes": [
            f"Not a delivery mode of this version: {', '.join(unknown)}."]})
    return [mode for mode in offered if mode in wanted]


def check_license(template_id: str, params: dict[str, Any]) -> None:
    from contracts import TEMPLATE_IDS, PolicyError, template  # issue 5 §4

    if template_id not in TEMPLATE_IDS:
        raise ValidationFailed(errors={"license_template": [
            f"Unknown license template; use one of: {', '.join(TEMPLATE_IDS)}."]})
    extra = sorted(set(params) - LICENSE_PARAMS)
    if extra:
        raise ValidationFailed(errors={"license_params": {
            name: ["Not a parameter a listing may set."] for name in extra}})
    try:
        template(template_id, **params)
    except PolicyError as exc:
        name = exc.path.strip("/").split("/")[0] or "_schema"
        raise ValidationFailed(errors={"license_params": {name: [exc.message]}}) from exc


def plans(listing_id: str, items: list[dict[str, Any]], modes: list[str]) -> list[ListingPlan]:
    rows = []
    for position, item in enumerate(items):
        kind: PlanKind = item["kind"]
        unit = item.get("unit")
        if unit is not None and METERED_MODE[unit] not in modes:
            raise ValidationFailed(errors={"plans": {position: {"unit": [
                f"The listing does not offer the {METERED_MODE[unit]} delivery mode."]}}})
        rows.append(ListingPlan(
            id=new_id("pln"), listing_id=listing_id, position=position, kind=kind,
            currency=item["currency"],
            price_fen=0 if kind is PlanKind.free else item.get("price_fen"),
            period=item.get("period"),
            auto_renew=item.get("auto_renew", False) if kind is PlanKind.subscription else None,
            unit=unit, unit_price_fen=item.get("unit_price_fen"),
            included_quota=item.get("included_quota", 0) if kind is PlanKind.metered else None))
    return rows


def check_approval_note(listing: Listing, note: str | None) -> None:
    """A reviewer approving a price outside the valuation range must say why."""
    if listing.valuation_flag is ValuationFlag.outside and not (note and note.strip()):
        raise ValidationFailed(errors={"note": [
            "Required: a plan's price is outside the latest valuation range."]})
