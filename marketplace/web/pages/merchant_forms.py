"""Merchant console forms → the JSON documents the API takes (``POST /assets``,
``POST /listings``), so the pages validate them with the API's own schemas and services.

Prices are typed in yuan and become integer fen (:func:`.merchant_common.parse_fen`); a plan
row with no kind is left out; fields that do not belong to a plan's kind are not sent.
"""

from __future__ import annotations

from typing import Any

from marketplace.errors import ValidationFailed
from marketplace.web.i18n import gettext as _
from marketplace.web.pages.merchant_common import parse_fen

ASSET_TEXT_FIELDS = ("title", "description", "domain", "source", "collection_method",
                     "update_frequency", "area_coverage", "classification")
PLAN_ROWS = 3


def asset_document(form: Any, org_id: str) -> dict[str, Any]:
    """The JSON body ``POST /assets`` would get, from the form."""
    doc: dict[str, Any] = {name: form.get(name, "") for name in ASSET_TEXT_FIELDS}
    doc["owner_org_id"] = org_id
    pii = form.get("contains_personal_info")
    doc["contains_personal_info"] = {"yes": True, "no": False}.get(pii, pii)
    doc["tags"] = [t.strip() for t in form.get("tags", "").replace("，", ",").split(",")
                   if t.strip()]
    start, end = form.get("coverage_start", ""), form.get("coverage_end", "")
    if start or end:
        doc["time_coverage"] = {"start": start, "end": end}
    return doc


def _plan(form: Any, row: int, n: int) -> dict[str, Any] | None:
    kind = form.get(f"plan-{row}-kind", "")
    if not kind:
        return None
    plan: dict[str, Any] = {"kind": kind}
    price = parse_fen(form.get(f"plan-{row}-price", ""),
                      f"plans.{n}.{'unit_price_fen' if kind == 'metered' else 'price_fen'}")
    if kind in ("one_off", "subscription") and price is not None:
        plan["price_fen"] = price
    if kind == "subscription":
        plan["period"] = form.get(f"plan-{row}-period", "")
        plan["auto_renew"] = form.get(f"plan-{row}-auto_renew") == "yes"
    if kind == "metered":
        plan["unit"] = form.get(f"plan-{row}-unit", "")
        if price is not None:
            plan["unit_price_fen"] = price
        quota = form.get(f"plan-{row}-quota", "").strip()
        if quota:
            if not quota.isdigit():
                raise ValidationFailed(errors={f"plans.{n}.included_quota": [
                    _("Enter a whole number.")]})
            plan["included_quota"] = int(quota)
    return plan


def listing_document(form: Any) -> dict[str, Any]:
    """The JSON body ``POST /listings`` would get, from the form."""
    plans: list[dict[str, Any]] = []
    for row in range(PLAN_ROWS):
        if (plan := _plan(form, row, len(plans))) is not None:
            plans.append(plan)
    version = form.get("version", "")
    doc: dict[str, Any] = {
        "element_id": form.get("element_id", ""), "domain": form.get("domain", ""),
        "license_template": form.get("license_template", ""), "plans": plans,
        "delivery_modes": form.getlist("modes"),
        "version": int(version) if version.isdigit() else None}
    for name in ("title", "summary"):
        if form.get(name, "").strip():
            doc[name] = form[name]
    return doc
