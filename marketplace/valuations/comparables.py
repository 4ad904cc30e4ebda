"""``GET /market/comparables`` (issue 5 §1): this exchange's settled deals, anonymised, newest
first, for assessors of approved valuation agencies and operator staff. ``matching`` counts
every deal the filter selects; the market approach needs ``min_comparables`` of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.errors import ValidationFailed
from marketplace.http import decode_cursor, encode_cursor
from marketplace.valuations import deals
from marketplace.valuations.market import MIN_COMPARABLES


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    text = decode_cursor(cursor)
    if text is None:
        return None
    moment, _, deal_id = text.partition("|")
    try:
        return datetime.fromisoformat(moment), deal_id
    except ValueError as exc:
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]}) from exc


def page(principal: Principal | None, args: dict[str, Any]) -> dict[str, Any]:
    authorize(principal, "market.comparables.read")
    query = deals.usable(args["domain"], args["currency"], args["since"])
    rows = deals.newest_first(query, _after(args["cursor"]), args["limit"] + 1)
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    last = rows[-1] if more else None
    body = {"items": [deals.anonymised(d) for d in rows], "matching": deals.count(query),
            "min_comparables": MIN_COMPARABLES,
            "next_cursor": last and encode_cursor(f"{last.settled_at.isoformat()}|{last.id}")}
    return body
