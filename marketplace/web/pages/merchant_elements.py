"""Merchant console: data elements (issue 8 §2) — the organisation's elements, and one element's
versions with its PII scan and quality report (GB/T 36344-2018 dimensions) as a chart and a
table, and the query policy in force. Reads the same services as ``GET /api/v1/elements/{id}``
and ``GET /api/v1/elements/{id}/query-policy``."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from marketplace.access import policy as access
from marketplace.elements import services
from marketplace.errors import NotFound
from marketplace.listings import services as listings
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages.merchant_common import acting_org, guard, label, owned, principal
from marketplace.web.pages.merchant_policy import summary
from marketplace.web.pages.merchant_policy_errors import translate
from marketplace.web.pages.merchant_policy_form import FIELDS, texts

bp = console_blueprint("web_merchant_elements", __name__)
guard(bp)


@bp.get("/merchant/elements")
@page("element.read")
def elements():  # type: ignore[no-untyped-def]
    rows = services.list_elements(principal(), acting_org())
    return render_template("merchant/elements.html", elements=rows)


def quality_chart(quality: dict[str, Any]) -> tuple[list[str], list[float]]:
    """Dimension labels and scores (0-100) of the dimensions the report could score."""
    scored = [(d, s) for d, s in (quality.get("dimensions") or {}).items() if s is not None]
    return [label(d) for d, _s in scored], [float(s) for _d, s in scored]


@bp.get("/merchant/elements/<element_id>")
@page("element.read")
def element(element_id: str):  # type: ignore[no-untyped-def]
    p = principal()
    number = request.args.get("version", "")
    if number and not number.isdigit():
        raise NotFound("The element has no such version.")
    item, row = services.version(p, element_id, int(number) if number else None)
    owned(item.owner_org_id)
    rows, _cursor = listings.list_listings(p, None, item.owner_org_id, item.id, None, 50)
    labels, scores = quality_chart(row.quality)
    found = access.get_policy(p, element_id, row.version)
    return render_template(
        "merchant/element.html", element=item, version=row,
        versions=list(reversed(services.versions(p, element_id))), listings=rows,
        quality=row.quality, pii=row.pii.get("columns", {}),
        licensed=row.pii.get("licensed_personal_data", []), chart_labels=labels,
        chart_series=[(_("Quality score"), scores)], policy=found, policy_values=summary(found),
        policy_fields=FIELDS, policy_texts=texts(),
        policy_problems=[translate(m) for m in found.problems.values()])
