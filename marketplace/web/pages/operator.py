"""Operator pages, part one (issue 8 §5): organisation approvals and the listing review queue
with valuation-range flags.

Operator staff (the auditor too) read these pages; the buttons call the same services as
``POST /organizations/{id}/approve`` and ``POST /listings/{id}/approve|reject``, which let only
an operator admin act. A refused or invalid decision re-renders the page with the message next
to the listing (status = the error's); a success redirects (303) back to the page.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.accounts import organizations
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.ids import looks_like_id
from marketplace.listings import queue, schemas
from marketplace.listings import services as listings
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import operator_labels
from marketplace.web.session import web_principal

bp = console_blueprint("web_operator", __name__)


def done(name: str) -> str | None:
    """The id a redirect after success names (``?approved=<id>``); anything else is ignored,
    so a crafted link cannot make the page announce arbitrary text."""
    value = request.args.get(name, "")
    return value if looks_like_id(value) else None


def refuse_or_show(error: DomainError) -> None:
    """Errors the page cannot explain next to a button go to the error page."""
    if error.status in (401, 403, 404):
        raise error


def _organizations(failed: str | None = None, message: str | None = None,
                   status: int = 200) -> tuple[str, int]:
    rows = organizations.list_for_review(web_principal())
    return render_template("operator/organizations.html", rows=rows, failed=failed,
                           message=message, approved=done("approved"),
                           labels=operator_labels), status


@bp.get("/operator/organizations")
@page("organization.review.read")
def organizations_page() -> tuple[str, int]:
    return _organizations()


@bp.post("/operator/organizations/<org_id>/approve")
@page("organization.approve")
def approve_organization(org_id: str) -> Response | tuple[str, int]:
    try:
        organizations.approve_organization(web_principal(), org_id)
    except DomainError as error:
        refuse_or_show(error)
        return _organizations(org_id, error.detail, error.status)
    return redirect(url_for(".organizations_page", approved=org_id), code=303)


def _queue(failed: str | None = None, errors: dict[str, Any] | None = None,
           message: str | None = None, status: int = 200) -> tuple[str, int]:
    rows = queue.review_queue(web_principal())
    names = organizations.names({r.listing.org_id for r in rows})
    return render_template("operator/reviews.html", rows=rows, names=names, failed=failed,
                           errors=errors or {}, message=message, form=request.form,
                           done={"approved": done("approved"), "rejected": done("rejected")},
                           labels=operator_labels), status


@bp.get("/operator/reviews")
@page("listing.review.read")
def reviews() -> tuple[str, int]:
    return _queue()


@bp.post("/operator/reviews/<listing_id>/approve")
@page("listing.review")
def approve_listing(listing_id: str) -> Response | tuple[str, int]:
    note = request.form.get("note", "")
    try:
        data = load(schemas.ApproveIn(), {"note": note} if note.strip() else {})
        listings.approve(web_principal(), listing_id, data["note"])
    except DomainError as error:
        refuse_or_show(error)
        errors = error.errors if isinstance(error, ValidationFailed) else {}
        return _queue(listing_id, errors, error.detail, error.status)
    return redirect(url_for(".reviews", approved=listing_id), code=303)


@bp.post("/operator/reviews/<listing_id>/reject")
@page("listing.review")
def reject_listing(listing_id: str) -> Response | tuple[str, int]:
    try:
        data = load(schemas.ReasonIn(), {"reason": request.form.get("reason", "")})
        listings.reject(web_principal(), listing_id, data["reason"])
    except DomainError as error:
        refuse_or_show(error)
        errors = error.errors if isinstance(error, ValidationFailed) else {}
        return _queue(listing_id, errors, error.detail, error.status)
    return redirect(url_for(".reviews", rejected=listing_id), code=303)
