"""Listing services (issue 5 §2): create a draft, read and list, and the workflow moves.

Each function authorises first, changes state through :func:`.workflow.transition` (one
conditional UPDATE plus its ledger entry) and commits once. Merchants of the element's owner
create, submit, publish and delist; operator admins approve, reject and delist. The demo seed
and other services call these with a :class:`~marketplace.auth.Principal`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import Element
from marketplace.errors import NotFound
from marketplace.http import id_page, load
from marketplace.ids import new_id
from marketplace.listings import drafts, index, pricing
from marketplace.listings.models import Action, Listing, ListingState, ListingStats
from marketplace.listings.schemas import ListingIn, plan_out
from marketplace.listings.workflow import target, transition


def create(principal: Principal | None, data: dict[str, Any]) -> Listing:
    """A draft listing of an element version the caller's merchant organisation owns."""
    p = authorize(principal, "element.lookup")
    element = db.session.get(Element, data["element_id"])
    if element is None:
        raise NotFound("No such element.")
    authorize(p, "element.read", element)
    authorize(p, "listing.create", element.owner_org_id)
    version = drafts.element_version(element, data["version"])
    modes = drafts.delivery_modes(version, data["delivery_modes"])
    drafts.check_license(data["license_template"], data["license_params"])
    listing_id = new_id("lst")
    plans = drafts.plans(listing_id, data["plans"], modes)
    listing = Listing(
        id=listing_id, element_id=element.id, element_version_id=version.id,
        version=version.version, org_id=element.owner_org_id, state=ListingState.draft,
        title=(data["title"] or element.title).strip(),
        summary=data["summary"] if data["summary"] is not None else element.description,
        domain=data["domain"].strip(), delivery_modes=modes,
        license_template=data["license_template"], license_params=data["license_params"],
        currency=plans[0].currency, price_from_fen=min(p.headline_fen for p in plans),
        plans_outside=[], created_by=p.user_id, created_at=utcnow())
    db.session.add(listing)
    db.session.add_all(plans)
    db.session.add(ListingStats(listing_id=listing.id, orders=0, usage=0))
    db.session.commit()
    return listing


def create_from_document(principal: Principal | None, document: dict[str, Any]) -> Listing:
    """:func:`create` from a JSON-shaped document as ``POST /listings`` takes it (for callers
    outside a request, such as the demo seed); 422 on the same bad input."""
    return create(principal, load(ListingIn(), document))


def get(principal: Principal | None, listing_id: str) -> Listing:
    p = authorize(principal, "element.lookup")
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("No such listing.")
    authorize(p, "listing.read", listing)
    return listing


def sees_review(principal: Principal | None, listing: Listing) -> bool:
    """The merchant's members and operator staff see the review (flag, notes, reasons)."""
    return principal is not None and (principal.member_of(listing.org_id)
                                      or principal.is_operator_staff())


def list_listings(principal: Principal | None, state: ListingState | None, org_id: str | None,
                  element_id: str | None, cursor: str | None,
                  limit: int) -> tuple[list[Listing], str | None]:
    """The caller's organisations' listings; operator staff see every listing (the review
    queue is ``state=submitted``). Id order, cursor-paginated."""
    p = authorize(principal, "listing.list")
    query = select(Listing)
    if not p.is_operator_staff():
        query = query.where(Listing.org_id.in_([m.org_id for m in p.memberships]))
    for column, value in ((Listing.state, state), (Listing.org_id, org_id),
                          (Listing.element_id, element_id)):
        if value is not None:
            query = query.where(column == value)
    return id_page(query, Listing.id, cursor, limit)


def _latest_range(element_version_id: str) -> tuple[int, int] | None:
    from marketplace.valuations.services import latest_range  # issue 5 §1

    return latest_range(element_version_id)


def submit(principal: Principal | None, listing_id: str) -> Listing:
    """draft → submitted, recording the valuation flag the reviewer will see."""
    listing = get(principal, listing_id)
    p = authorize(principal, "listing.submit", listing)
    valuation = _latest_range(listing.element_version_id)
    flag, outside = pricing.valuation_check(listing.plans, valuation)
    low, high = valuation or (None, None)
    transition(p, listing, Action.submit, {
        "license_template": listing.license_template, "license_params": listing.license_params,
        "plans": [plan_out(plan) for plan in listing.plans], "valuation_flag": flag.value,
        "valuation_range_fen": None if valuation is None else [low, high]},
        valuation_flag=flag, valuation_low_fen=low, valuation_high_fen=high,
        plans_outside=outside)
    db.session.commit()
    return listing


def approve(principal: Principal | None, listing_id: str, note: str | None = None) -> Listing:
    """submitted → approved. Approving a price outside the valuation range needs a note."""
    listing = get(principal, listing_id)
    p = authorize(principal, "listing.review", listing)
    target(listing.state, Action.approve)  # 409 before 422: a wrong state is the first news
    drafts.check_approval_note(listing, note)
    transition(p, listing, Action.approve, {"note": note}, review_note=note,
               reviewed_by=p.user_id)
    db.session.commit()
    return listing


def reject(principal: Principal | None, listing_id: str, reason: str) -> Listing:
    listing = get(principal, listing_id)
    p = authorize(principal, "listing.review", listing)
    transition(p, listing, Action.reject, {"reason": reason}, reject_reason=reason,
               reviewed_by=p.user_id)
    db.session.commit()
    return listing


def publish(principal: Principal | None, listing_id: str) -> Listing:
    """approved → listed: the listing enters the catalog."""
    listing = get(principal, listing_id)
    p = authorize(principal, "listing.publish", listing)
    transition(p, listing, Action.publish)
    index.add(listing)
    db.session.commit()
    return listing


def delist(principal: Principal | None, listing_id: str, reason: str) -> Listing:
    """listed → delisted: the listing leaves the catalog (merchant or operator admin)."""
    listing = get(principal, listing_id)
    p = authorize(principal, "listing.delist", listing)
    transition(p, listing, Action.delist, {"reason": reason}, delist_reason=reason)
    index.remove(listing.id)
    db.session.commit()
    return listing
