"""Popularity counters (issue 5 §3: "derived only from real orders and usage, never invented").

Orders call :func:`record_order` when an order for the listing is placed, data access calls
:func:`record_usage` with the number of API calls or sandbox queries served. Nothing else
writes ``listing_stats`` (its zero row is created with the listing). Both run inside the
caller's transaction and never commit; the increment is one atomic ``UPDATE``.
"""

from __future__ import annotations

from sqlalchemy import update

from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.listings.models import ListingStats

__all__ = ["record_order", "record_usage"]


def _bump(listing_id: str, **increments: int) -> None:
    values = {name: getattr(ListingStats, name) + n for name, n in increments.items()}
    result = db.session.execute(update(ListingStats).where(
        ListingStats.listing_id == listing_id).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("No such listing.")


def record_order(listing_id: str) -> None:
    """One more order for the listing."""
    _bump(listing_id, orders=1)


def record_usage(listing_id: str, n: int) -> None:
    """``n`` (>= 1) more units of use: API calls or sandbox queries."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"usage must be a positive integer, not {n!r}")
    _bump(listing_id, usage=n)
