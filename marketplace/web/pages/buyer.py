"""Buyer console — ordering and checkout (issue 8 §3), over the services of ``POST /orders``,
``GET /orders/{id}`` and ``POST /orders/{id}/pay``.

``/buyer/orders/new?listing=…`` shows a plan's exact terms (hash, contract text in Chinese and
English); its form carries an ``Idempotency-Key`` made when the form was rendered, so a double
submit replays the first answer: one order (draft-ietf-httpapi-idempotency-key-header).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from contracts import PolicyError, template
from marketplace.db import db
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.listings import services as listings
from marketplace.listings.models import Listing
from marketplace.orders import mine, schemas, services
from marketplace.orders.terms import allowed_purposes
from marketplace.payments import services as payments
from marketplace.payments.errors import CardDeclined
from marketplace.payments.views import PayIn
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import buyer_common as common
from marketplace.web.session import web_principal

bp = console_blueprint("web_buyer", __name__)
common.install(bp)
DEFAULT_PURPOSE = "internal_analytics"


def purposes_of(listing: Listing) -> list[str] | None:
    """The purposes the listing's license admits (None: any purpose the buyer names)."""
    try:
        allowed = allowed_purposes(template(listing.license_template, **listing.license_params))
    except (PolicyError, TypeError):
        return None
    return sorted(allowed) if allowed is not None else None


def _order_form(listing_id: str, plan_id: str | None, purpose: str | None,
                failure: dict[str, Any] | None = None) -> tuple[str, int]:
    p = web_principal()
    listing = listings.get(p, listing_id)
    plans = sorted(listing.plans, key=lambda x: x.position)
    plan = next((x for x in plans if x.id == plan_id), plans[0] if plans else None)
    purposes = purposes_of(listing)
    purpose = purpose or (purposes[0] if purposes else DEFAULT_PURPOSE)
    terms, refused = None, None
    if plan is not None:
        try:
            terms = services.terms(p, listing.id, plan.id, purpose)
        except DomainError as error:
            refused = common.problem(error)
    status = failure["status"] if failure else (refused["status"] if refused else 200)
    return render_template(
        "buyer/order_new.html", listing=listing, plans=plans, plan=plan, purposes=purposes,
        purpose=purpose, terms=terms, refused=refused, failure=failure,
        orgs=common.buyer_orgs(p) if p else [], key="web-" + secrets.token_urlsafe(24)), status


@bp.get("/buyer/orders/new")
@page("order.create")
def order_new():  # type: ignore[no-untyped-def]
    listing_id = request.args.get("listing", "")
    if not listing_id:
        return redirect(url_for("web_buyer.orders"))
    return _order_form(listing_id, request.args.get("plan"), request.args.get("purpose"))


@bp.post("/buyer/orders")
@page("order.create")
def order_create():  # type: ignore[no-untyped-def]
    form = request.form
    fields = {"listing_id": form.get("listing_id", ""), "plan_id": form.get("plan_id", ""),
              "purpose": form.get("purpose", ""),
              "accepted_terms_hash": form.get("accepted_terms_hash", "")}
    if form.get("buyer_org_id"):
        fields["buyer_org_id"] = form["buyer_org_id"]
    try:
        if form.get("accept") != "yes":
            raise ValidationFailed(_("Read and accept the terms to place the order."),
                                   errors={"accept": [_("Required.")]})
        body, _replayed = services.place_order(web_principal(), form.get("idempotency_key"),
                                               load(schemas.OrderIn(), fields))
    except DomainError as error:
        db.session.rollback()
        return _order_form(fields["listing_id"], fields["plan_id"], fields["purpose"] or None,
                           common.problem(error))
    return redirect(url_for("web_buyer.order", order_id=body["id"]), code=303)


@bp.get("/buyer/orders")
@page("order.list")
def orders():  # type: ignore[no-untyped-def]
    return render_template("buyer/orders.html", lines=mine.list_orders(web_principal()))


def _order_page(order_id: str, failure: dict[str, Any] | None = None) -> tuple[str, int]:
    order, agreement = services.get_order(web_principal(), order_id)
    history, _text = services.license_history(agreement)
    listing = db.session.get(Listing, order.listing_id)
    return render_template(
        "buyer/order.html", order=order, agreement=agreement, history=history,
        title=listing.title if listing else order.listing_id,
        next_action=schemas.next_action(order, agreement), failure=failure,
        test_cards=common.TEST_CARDS if common.is_test_gateway() else None,
    ), failure["status"] if failure else 200


@bp.get("/buyer/orders/<order_id>")
@page("order.read")
def order(order_id: str):  # type: ignore[no-untyped-def]
    return _order_page(order_id)


@bp.post("/buyer/orders/<order_id>/pay")
@page("order.pay")
def pay(order_id: str) -> Response | tuple[str, int]:
    try:
        data = load(PayIn(), {"payment_method": request.form.get("payment_method", "")})
        payments.pay(web_principal(), order_id, data["payment_method"])
    except CardDeclined as declined:
        db.session.rollback()
        return _order_page(order_id, common.declined(declined))
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 404):
            raise
        return _order_page(order_id, common.problem(error))
    return redirect(url_for("web_buyer.order", order_id=order_id), code=303)
