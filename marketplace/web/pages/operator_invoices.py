"""Operator pages, part three (issue 8 §5, issue 6 §3): metered-usage invoices of a billing
period, and the form that runs the period like ``POST /revenue/invoices/run``.

Operator staff (the auditor too) read ``/operator/invoices?period=YYYY-MM`` — the period's
invoices with their status and per-currency totals; only an operator admin runs a period
(:func:`marketplace.revenue.billing.run`, the same service as the API and the CLI ``revenue
invoice-usage``). A run creates each agreement's invoice once, so running a period again creates
nothing. A period that is not a month ``YYYY-MM`` (1970 or later), or one that has not ended,
is refused with a message next to the input before anything is written. After a run the page
is shown again (303) with the run's counts in the query, digits only and all or nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.accounts.organizations import names
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.revenue import billing, invoice_lists, invoicing
from marketplace.revenue.billing_views import RunIn
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import operator_labels
from marketplace.web.pages.operator import refuse_or_show
from marketplace.web.session import web_principal

bp = console_blueprint("web_operator_invoices", __name__)
_COUNT = re.compile(r"[0-9]{1,9}")
#: run result key → query parameter of the redirect after a run
RESULT = {"created": "created", "existing": "existing", "due": "due", "zero": "zero",
          "payments_opened": "opened"}


def last_period(now: datetime) -> str:
    """The latest month that has ended (the one a run usually invoices)."""
    return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def status_label(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return {"zero": _("nothing to pay"), "due": _("due"), "paid": _("paid")}.get(key, key)


def period_problem(period: str, now: datetime) -> str | None:
    """Why ``period`` cannot be invoiced, in the visitor's language (None: it can)."""
    try:
        _start, end = invoicing.period_bounds(period)
    except ValidationFailed:
        return _("Enter a month as YYYY-MM (1970 or later), for example %(example)s.",
                 example=last_period(now))
    if end > now:
        return _("%(period)s has not ended yet: only a month that has ended can be invoiced.",
                 period=period)
    return None


def _result(period: str) -> dict[str, Any] | None:
    values = {key: request.args.get(arg, "") for key, arg in RESULT.items()}
    if not all(_COUNT.fullmatch(v) for v in values.values()):
        return None
    return {"period": period, **{k: int(v) for k, v in values.items()}}


def _render(shown: str, *, run_period: str | None = None, run_errors: list[str] | None = None,
            message: str | None = None, status: int = 200) -> tuple[str, int]:
    now, found, shown_errors = utcnow(), None, []
    try:
        found = invoice_lists.period_invoices(web_principal(), shown)
    except ValidationFailed:
        shown_errors, status = [period_problem(shown, now) or ""], 422
    orgs = names({o for inv in (found.invoices if found else [])
                  for o in (inv.buyer_org_id, inv.merchant_org_id)})
    return render_template(
        "operator/invoices.html", shown=shown, found=found, shown_errors=shown_errors,
        run_period=run_period if run_period is not None else shown, run_errors=run_errors or [],
        message=message, result=None if run_errors or found is None else _result(shown),
        names=orgs, status_label=status_label, labels=operator_labels), status


@bp.get("/operator/invoices")
@page("revenue.read")
def invoices() -> tuple[str, int]:
    return _render(request.args.get("period", "").strip() or last_period(utcnow()))


@bp.post("/operator/invoices/run")
@page("revenue.invoice.run")
def run() -> Response | tuple[str, int]:
    p, period = web_principal(), request.form.get("period", "").strip()
    try:
        authorize(p, "revenue.invoice.run")  # 403 before the input is looked at
        problem = period_problem(period, utcnow())
        if problem is not None:
            raise ValidationFailed(problem, errors={"period": [problem]})
        result = billing.run(p, load(RunIn(), {"period": period})["period"])
    except DomainError as error:
        db.session.rollback()
        refuse_or_show(error)
        errors = error.errors if isinstance(error, ValidationFailed) else {}
        return _render(last_period(utcnow()), run_period=period,
                       run_errors=[str(m) for m in errors.get("period", [])] or [error.detail],
                       message=error.detail, status=error.status)
    query = {arg: result[key] for key, arg in RESULT.items()}
    return redirect(url_for(".invoices", period=result["period"], **query), code=303)
