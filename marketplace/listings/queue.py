"""The operator's listing review queue (issue 5 §2, issue 8 §5): submitted listings, oldest
first, each with its valuation-range flag.

Two flags are shown: the one recorded at submission (it decides whether approving needs a note,
:func:`.drafts.check_approval_note`) and the same check, :func:`.pricing.valuation_check`,
against the element version's latest valuation now — an assessor may have valued it since.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.listings.models import Listing, ListingState, ValuationFlag
from marketplace.listings.pricing import valuation_check

LIMIT = 200


@dataclass(frozen=True)
class Review:
    listing: Listing
    flag: ValuationFlag  # against the latest valuation now
    low_fen: int | None
    high_fen: int | None
    plans_outside: tuple[int, ...]

    @property
    def flag_changed(self) -> bool:
        """The latest valuation tells a different story from the one at submission."""
        return self.listing.valuation_flag is not None and self.listing.valuation_flag != self.flag


def review(listing: Listing) -> Review:
    from marketplace.valuations.services import latest_range  # valuations build on listings

    valuation = latest_range(listing.element_version_id)
    flag, outside = valuation_check(listing.plans, valuation)
    low, high = valuation or (None, None)
    return Review(listing, flag, low, high, tuple(outside))


def review_queue(principal: Principal | None, limit: int = LIMIT) -> list[Review]:
    """Submitted listings awaiting an operator's decision, oldest submission first."""
    authorize(principal, "listing.review.read")
    rows = db.session.scalars(select(Listing).where(Listing.state == ListingState.submitted)
                              .order_by(Listing.submitted_at, Listing.id).limit(limit))
    return [review(row) for row in rows]
