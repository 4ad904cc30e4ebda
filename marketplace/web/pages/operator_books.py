"""Operator pages, part two (issue 8 §5): orders and their licenses with revocation (a reason
is required), and the fee schedule in force with its history and a form for a new version.

Revoking calls :func:`marketplace.orders.services.revoke` like ``POST
/licenses/{id}/revoke``; a new fee schedule is loaded by the API's own schema and stored by
:func:`marketplace.revenue.services.set_fee_schedule` like ``POST /revenue/fee-schedules``.
Both act only for an operator admin; operator staff read.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.accounts.organizations import names
from marketplace.clock import utcnow
from marketplace.errors import DomainError, NotFound, ValidationFailed
from marketplace.http import load
from marketplace.orders import oversight, schemas
from marketplace.orders import services as orders
from marketplace.revenue import services as revenue
from marketplace.revenue.schedules import schedule_in_force
from marketplace.revenue.views import FeeScheduleIn
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import operator_labels
from marketplace.web.pages.operator import done, refuse_or_show
from marketplace.web.session import web_principal

bp = console_blueprint("web_operator_books", __name__)
_LOCAL_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_INT = re.compile(r"[0-9]+")
FEE_FIELDS = ("platform_bps", "public_service_bps", "minimum_fee_fen")


def _orders(failed: str | None = None, errors: dict[str, Any] | None = None,
            message: str | None = None, status: int = 200) -> tuple[str, int]:
    lines = oversight.order_lines(web_principal())
    orgs = names({o for line in lines for o in (line.agreement.buyer_org_id,
                                                line.agreement.merchant_org_id)})
    return render_template("operator/orders.html", lines=lines, names=orgs, failed=failed,
                           errors=errors or {}, message=message, form=request.form,
                           revoked=done("revoked"), labels=operator_labels), status


@bp.get("/operator/orders")
@page("license.review.read")
def orders_page() -> tuple[str, int]:
    return _orders()


@bp.post("/operator/orders/<order_id>/revoke")
@page("license.revoke")
def revoke(order_id: str) -> Response | tuple[str, int]:
    try:
        data = load(schemas.RevokeIn(), {"reason": request.form.get("reason", "")})
        _order, agreement = orders.get_order(web_principal(), order_id)
        orders.revoke(web_principal(), agreement.id, data["reason"])
    except DomainError as error:
        refuse_or_show(error)
        errors = error.errors if isinstance(error, ValidationFailed) else {}
        return _orders(order_id, errors, error.detail, error.status)
    return redirect(url_for(".orders_page", revoked=order_id), code=303)


def _fees(errors: dict[str, Any] | None = None, message: str | None = None,
          status: int = 200) -> tuple[str, int]:
    rows = revenue.fee_schedules(web_principal())
    now, in_force = utcnow(), set()
    for currency in sorted({r.currency for r in rows}):
        with suppress(NotFound):  # only future versions so far
            in_force.add(schedule_in_force(currency, now).id)
    return render_template("operator/fees.html", rows=rows[::-1], in_force=in_force, now=now,
                           errors=errors or {}, message=message, form=request.form,
                           added=done("added")), status


@bp.get("/operator/fees")
@page("revenue.read")
def fees() -> tuple[str, int]:
    return _fees()


def fee_document(form: Any) -> dict[str, Any]:
    """The ``POST /revenue/fee-schedules`` body from the form: whole numbers as numbers, the
    ``datetime-local`` start read as UTC; anything else is passed on for the schema to refuse."""
    doc: dict[str, Any] = {"currency": form.get("currency", "CNY").strip() or "CNY"}
    start = form.get("effective_from", "").strip()
    if start:
        doc["effective_from"] = start + ":00+00:00" if _LOCAL_MINUTE.fullmatch(start) else start
    for name in FEE_FIELDS:
        raw = form.get(name, "").strip()
        if raw:
            doc[name] = int(raw) if _INT.fullmatch(raw) else raw
    return doc


@bp.post("/operator/fees")
@page("revenue.fees.write")
def add_fee_schedule() -> Response | tuple[str, int]:
    try:
        schedule = revenue.set_fee_schedule(web_principal(), load(FeeScheduleIn(),
                                                                  fee_document(request.form)))
    except DomainError as error:
        refuse_or_show(error)
        errors = error.errors if isinstance(error, ValidationFailed) else {}
        return _fees(errors, error.detail, error.status)
    return redirect(url_for(".fees", added=schedule.id), code=303)
