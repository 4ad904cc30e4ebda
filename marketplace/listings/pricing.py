"""Price and quality bands for catalog facets, and the reviewer's valuation flag (issue 5 §2–3).

Bands are half-open ranges of integer fen (1 CNY = 100 fen) and of quality score (0–100).
A listing's price is its cheapest plan's headline price (metered plans: the unit price).
The valuation flag compares one-off and subscription prices with the latest valuation range
of the listed version; free plans are deliberate and a metered unit price is not a price for
the element, so neither is compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from marketplace.listings.models import ListingPlan, PlanKind, ValuationFlag

#: (band, lowest fen, highest fen or None)
PRICE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("free", 0, 0),
    ("under_100", 1, 9_999),
    ("100_to_1000", 10_000, 99_999),
    ("1000_to_10000", 100_000, 999_999),
    ("over_10000", 1_000_000, None),
)
#: (band, lowest score × 100, highest score × 100); "unscored" has no score at all.
QUALITY_BANDS: tuple[tuple[str, int, int], ...] = (
    ("unscored", -1, -1),
    ("under_60", 0, 5_999),
    ("60_to_80", 6_000, 7_999),
    ("80_to_90", 8_000, 8_999),
    ("90_to_100", 9_000, 10_000),
)
COMPARED_KINDS = frozenset({PlanKind.one_off, PlanKind.subscription})


def price_band(fen: int) -> str:
    for name, low, high in PRICE_BANDS:
        if low <= fen and (high is None or fen <= high):
            return name
    raise ValueError(f"negative price {fen}")


def quality_centi(score: Any) -> int:
    """A 0–100 score as hundredths (exact decimal rounding); -1 when there is none."""
    if score is None:
        return -1
    value = (Decimal(str(score)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return max(0, min(10_000, int(value)))


def quality_band(centi: int) -> str:
    return next(name for name, low, high in QUALITY_BANDS if low <= centi <= high)


def valuation_check(plans: Sequence[ListingPlan],
                    valuation: tuple[int, int] | None) -> tuple[ValuationFlag, list[int]]:
    """The flag and the positions of the compared plans priced outside ``[low, high]``."""
    if valuation is None:
        return ValuationFlag.unvalued, []
    low, high = valuation
    outside = [p.position for p in plans if p.kind in COMPARED_KINDS
               and not low <= (p.price_fen or 0) <= high]
    return (ValuationFlag.outside if outside else ValuationFlag.within), outside
