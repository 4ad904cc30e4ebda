"""Merchant console: listings and their review (issue 8 §2) — the organisation's listings with
review status and reasons, a draft form (the body ``POST /api/v1/listings`` takes), and the
merchant's workflow moves (submit, publish once approved, delist), each through the same listing
service as the API."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from contracts import TEMPLATE_IDS, TEMPLATE_TITLES
from marketplace.elements import services as elements
from marketplace.elements.publish import DELIVERY_MODES
from marketplace.errors import DomainError
from marketplace.http import load
from marketplace.listings import schemas, services
from marketplace.listings.models import MeterUnit, Period, PlanKind
from marketplace.web.i18n import current_language
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import merchant_forms as forms
from marketplace.web.pages.merchant_common import acting_org, guard, owned, principal, problem

bp = console_blueprint("web_merchant_listings", __name__)
guard(bp)


@bp.get("/merchant/listings")
@page("listing.list")
def listings():  # type: ignore[no-untyped-def]
    p = principal()
    rows, cursor = services.list_listings(p, None, acting_org(), None,
                                          request.args.get("cursor"), 50)
    return render_template("merchant/listings.html", listings=rows, next_cursor=cursor,
                           review={r.id: schemas.listing_out(r, services.sees_review(p, r))
                                   ["review"] for r in rows})


def _form(values: dict[str, Any], error: DomainError | None = None) -> str:
    message, errors = problem(error) if error else (None, {})
    p = principal()
    owned_elements = elements.list_elements(p, acting_org())
    chosen = values.get("element_id") or (owned_elements[0].id if owned_elements else "")
    versions = elements.versions(p, chosen) if chosen else []
    zh = current_language() == "zh"
    return render_template(
        "merchant/listing_new.html", values=values, message=message, errors=errors,
        elements=owned_elements, chosen=chosen, versions=versions, modes=DELIVERY_MODES,
        templates=[(t, TEMPLATE_TITLES[t][0 if zh else 1]) for t in TEMPLATE_IDS],
        kinds=[k.value for k in PlanKind], periods=[x.value for x in Period],
        units=[u.value for u in MeterUnit], rows=range(forms.PLAN_ROWS))


@bp.get("/merchant/listings/new")
@page("listing.create")
def new_listing():  # type: ignore[no-untyped-def]
    element_id = request.args.get("element", "")
    if element_id:
        owned(elements.get_element(principal(), element_id).owner_org_id)
    return _form({"element_id": element_id, "plan-0-kind": "one_off",
                  "modes": list(DELIVERY_MODES)})


@bp.post("/merchant/listings")
@page("listing.create")
def create_listing():  # type: ignore[no-untyped-def]
    values = {**request.form.to_dict(), "modes": request.form.getlist("modes")}
    try:
        listing = services.create(principal(), load(schemas.ListingIn(),
                                                     forms.listing_document(request.form)))
    except DomainError as error:
        return _form(values, error), error.status
    return redirect(url_for(".listing", listing_id=listing.id), code=303)


def _detail(listing_id: str, error: DomainError | None = None) -> str:
    p = principal()
    row = services.get(p, listing_id)
    owned(row.org_id)
    message, errors = problem(error) if error else (None, {})
    return render_template("merchant/listing.html", listing=row,
                           out=schemas.listing_out(row, services.sees_review(p, row)),
                           message=message, errors=errors)


@bp.get("/merchant/listings/<listing_id>")
@page("listing.read")
def listing(listing_id: str):  # type: ignore[no-untyped-def]
    return _detail(listing_id)


def _move(listing_id: str, act: Any) -> Response | tuple[str, int]:
    try:
        act()
    except DomainError as error:
        return _detail(listing_id, error), error.status
    return redirect(url_for(".listing", listing_id=listing_id), code=303)


@bp.post("/merchant/listings/<listing_id>/submit")
@page("listing.submit")
def submit(listing_id: str):  # type: ignore[no-untyped-def]
    return _move(listing_id, lambda: services.submit(principal(), listing_id))


@bp.post("/merchant/listings/<listing_id>/publish")
@page("listing.publish")
def publish(listing_id: str):  # type: ignore[no-untyped-def]
    return _move(listing_id, lambda: services.publish(principal(), listing_id))


@bp.post("/merchant/listings/<listing_id>/delist")
@page("listing.delist")
def delist(listing_id: str):  # type: ignore[no-untyped-def]
    def act() -> None:
        reason = load(schemas.ReasonIn(), {"reason": request.form.get("reason", "")})["reason"]
        services.delist(principal(), listing_id, reason)

    return _move(listing_id, act)
