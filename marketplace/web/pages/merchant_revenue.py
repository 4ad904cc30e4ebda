"""Merchant console: the revenue statement (issue 8 §2) for a period, with a monthly chart of
sales, refunds and payouts. Every number comes from the same service as
``GET /api/v1/revenue/statements`` (marketplace/revenue/reports.py ``statement``): once for the
whole period, once per calendar month inside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import render_template, request

from marketplace.clock import utcnow
from marketplace.errors import ValidationFailed
from marketplace.revenue import services
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages.merchant_common import acting_org, guard, principal

bp = console_blueprint("web_merchant_revenue", __name__)
guard(bp)
MAX_MONTHS = 36
CURRENCY = "CNY"


def months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months meeting [start, end], each clipped to it."""
    out, first = [], start.replace(day=1)
    while first <= end:
        after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((max(first, start), min(after - timedelta(days=1), end)))
        first = after
    return out


def _day(name: str, default: date) -> date:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(errors={name: [_("Enter a date as YYYY-MM-DD.")]}) from None


def period() -> tuple[date, date]:
    """``from``/``to`` from the query; default: the last twelve calendar months to today."""
    today = utcnow().date()
    default_start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    start, end = _day("from", default_start), _day("to", today)
    if start > end:
        raise ValidationFailed(errors={"to": [_("Must not be before the start.")]})
    if len(months(start, end)) > MAX_MONTHS:
        raise ValidationFailed(errors={"from": [
            _("Choose at most %(n)s months.", n=MAX_MONTHS)]})
    return start, end


@bp.get("/merchant/revenue")
@page("revenue.statement.read")
def revenue():  # type: ignore[no-untyped-def]
    p, org_id = principal(), acting_org()
    try:
        start, end = period()
    except ValidationFailed as error:
        return render_template("merchant/revenue.html", errors=error.errors, total=None,
                               rows=[], start=request.args.get("from", ""),
                               end=request.args.get("to", "")), error.status
    total = services.statement(p, org_id, CURRENCY, start, end)
    rows: list[dict[str, Any]] = [
        {"label": a.strftime("%Y-%m"), **services.statement(p, org_id, CURRENCY, a, b)}
        for a, b in months(start, end)]
    series = [(_("Sales (merchant share)"), [r["merchant_share_fen"] / 100 for r in rows]),
              (_("Refunds"), [r["refunds_fen"] / 100 for r in rows]),
              (_("Payouts"), [r["payouts_fen"] / 100 for r in rows])]
    return render_template("merchant/revenue.html", errors={}, total=total, rows=rows,
                           labels=[r["label"] for r in rows], series=series,
                           start=start.isoformat(), end=end.isoformat())
