"""Buyer console — licenses and usage (issue 8 §3), over the services of ``GET /licenses`` and
``GET /licenses/{id}``: the agreement's contract text in Chinese and English, its state and
validity, the count quota used and remaining, ε spent, and metered usage per day as a chart
with the same numbers in a table (:mod:`marketplace.access.usage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import render_template

from marketplace.access import usage
from marketplace.db import db
from marketplace.listings.models import Listing
from marketplace.orders import services
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import buyer_common as common
from marketplace.web.session import web_principal

bp = console_blueprint("web_buyer_licenses", __name__)
common.install(bp)


def chart_data(found: Sequence[usage.Usage]) -> dict[str, Any]:
    """Labels (days), one series per unit summed over ``found``, and the table's rows."""
    days = found[0].days if found else usage.window()
    totals = {unit: [sum(u.per_unit[unit][i] for u in found) for i in range(len(days))]
              for unit in usage.UNITS}
    labels = [d.strftime("%d") for d in days]  # the table beside it has full dates
    rows = [(d.isoformat(), [totals[unit][i] for unit in usage.UNITS])
            for i, d in enumerate(days) if any(totals[unit][i] for unit in usage.UNITS)]
    return {"labels": labels, "units": usage.UNITS,
            "series": [(common.state_label(unit), totals[unit]) for unit in usage.UNITS],
            "rows": rows, "title": _("Uses per day, last %(n)s days", n=len(days))}


def _titles(listing_ids: Sequence[str]) -> dict[str, str]:
    return {lid: getattr(db.session.get(Listing, lid), "title", lid) for lid in set(listing_ids)}


@bp.get("/buyer/licenses/<license_id>")
@page("license.read")
def license(license_id: str):  # type: ignore[no-untyped-def]
    found = usage.license_usage(web_principal(), license_id)
    agreement = found.agreement
    history, text = services.license_history(agreement)
    return render_template("buyer/license.html", u=found, agreement=agreement,
                           history=history, text=text, chart=chart_data([found]),
                           title=_titles([agreement.listing_id])[agreement.listing_id])


@bp.get("/buyer/usage")
@page("license.list")
def usage_page():  # type: ignore[no-untyped-def]
    found = usage.buyer_usage(web_principal())
    return render_template("buyer/usage.html", found=found, chart=chart_data(found),
                           titles=_titles([u.agreement.listing_id for u in found]))
