"""The caller's own orders, newest first — the buyer console's order list (issue 8 §3).

The API reads one order at a time (``GET /orders/{id}``); the console also lists them, limited
like ``GET /licenses`` to the organisations the caller belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.listings.models import Listing
from marketplace.orders.models import Agreement, Order

__all__ = ["OrderLine", "list_orders"]


@dataclass(frozen=True)
class OrderLine:
    order: Order
    agreement: Agreement
    title: str


def list_orders(principal: Principal | None, limit: int = 100) -> list[OrderLine]:
    """Orders of the caller's organisations with their license and listing title."""
    p = authorize(principal, "order.list")
    mine = [m.org_id for m in p.memberships]
    if not mine:
        return []
    rows = db.session.execute(
        select(Order, Agreement, Listing.title)
        .join(Agreement, Agreement.order_id == Order.id)
        .join(Listing, Listing.id == Order.listing_id)
        .where(Order.buyer_org_id.in_(mine))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    return [OrderLine(order, agreement, title) for order, agreement, title in rows]
