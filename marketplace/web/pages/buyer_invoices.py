"""Buyer console — metered-usage invoices (issue 8 §3, issue 6 §3), over the services of
``GET /revenue/invoices``, ``GET /revenue/invoices/{id}`` and ``POST /revenue/invoices/{id}/pay``.

``/buyer/invoices`` lists the invoices the buyer's organisations owe; an invoice's page shows
what the API's invoice shows (usage, quota, billable units, price, amount, status) with its
payment attempts and, while it is due, a pay form with the same card choice as an order's
checkout. The form carries an ``Idempotency-Key`` made when it was rendered, so submitting the
same form twice replays the first attempt — one charge, or the same decline
(draft-ietf-httpapi-idempotency-key-header). A decline re-renders the page with 402 and leaves
the invoice due; another organisation's invoice is 404; a 409 is shown on the page.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.db import db
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.http import load
from marketplace.orders.ordering import HEADER
from marketplace.payments.errors import CardDeclined
from marketplace.revenue import invoice_lists, invoice_pay
from marketplace.revenue.billing_views import PayIn
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import buyer_common as common
from marketplace.web.session import web_principal

bp = console_blueprint("web_buyer_invoices", __name__)
common.install(bp)


def invoice_label(value: Any) -> str:
    """Invoice and payment-attempt statuses as words (unknown values as they are)."""
    key = str(getattr(value, "value", value))
    return {"zero": _("Nothing to pay"), "due": _("Due"), "paid": _("Paid"),
            "pending": _("Awaiting the provider's answer"),
            "action_required": _("Card holder must confirm (3-D Secure)"),
            "succeeded": _("Succeeded"), "failed": _("Failed")}.get(key, key)


bp.add_app_template_global(invoice_label, "invoice_label")


def _problem(error: DomainError) -> dict[str, Any]:
    """The service's problem, with the conflicts a buyer can meet explained in their language."""
    failure = common.problem(error)
    if isinstance(error, ValidationFailed) and HEADER in error.errors:  # a form sent again
        failure["detail"] = _("This form was already sent with another card. Choose the card "
                              "in the form below and pay again.")
        failure["errors"] = {}
    elif isinstance(error, Conflict):
        state = error.extra.get("state")
        failure["detail"] = {
            "paid": _("This invoice is already paid; nothing was charged."),
            "zero": _("Nothing is due on this invoice: its usage stayed within the included "
                      "quota."),
        }.get(state, _("Another payment attempt for this invoice is still being settled; "
                       "reload the page in a moment."))
    return failure


def _invoice_page(invoice_id: str, failure: dict[str, Any] | None = None) -> tuple[str, int]:
    found = invoice_lists.buyer_invoice(web_principal(), invoice_id)
    return render_template(
        "buyer/invoice.html", invoice=found.invoice, title=found.title,
        attempts=found.attempts, failure=failure,
        test_cards=common.TEST_CARDS if common.is_test_gateway() else None,
        key="web-" + secrets.token_urlsafe(24)), failure["status"] if failure else 200


@bp.get("/buyer/invoices")
@page("revenue.invoice.list")
def invoices():  # type: ignore[no-untyped-def]
    return render_template("buyer/invoices.html",
                           lines=invoice_lists.buyer_invoices(web_principal()))


@bp.get("/buyer/invoices/<invoice_id>")
@page("revenue.invoice.read")
def invoice(invoice_id: str):  # type: ignore[no-untyped-def]
    return _invoice_page(invoice_id)


@bp.post("/buyer/invoices/<invoice_id>/pay")
@page("revenue.invoice.pay")
def pay(invoice_id: str) -> Response | tuple[str, int]:
    p = web_principal()
    try:
        invoice_lists.owed_invoice(p, invoice_id)  # 404 unless the person's organisation owes it
        data = load(PayIn(), {"payment_method": request.form.get("payment_method", "")})
        invoice_pay.pay(p, invoice_id, request.form.get("idempotency_key"),
                        data["payment_method"])
    except CardDeclined as declined:
        db.session.rollback()
        return _invoice_page(invoice_id, common.declined(declined))
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 404):
            raise
        return _invoice_page(invoice_id, _problem(error))
    return redirect(url_for(".invoice", invoice_id=invoice_id), code=303)
