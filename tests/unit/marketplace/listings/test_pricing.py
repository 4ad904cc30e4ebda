"""Price and quality bands and the valuation flag (marketplace.listings.pricing): band edges
in fen and hundredths of a score, and which plans are compared with the valuation range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.listings.models import ListingPlan, MeterUnit, Period, PlanKind, ValuationFlag
from marketplace.listings.pricing import (
    PRICE_BANDS,
    price_band,
    quality_band,
    quality_centi,
    valuation_check,
)


@pytest.mark.parametrize(("fen", "band"), [
    (0, "free"), (1, "under_100"), (9_999, "under_100"), (10_000, "100_to_1000"),
    (99_999, "100_to_1000"), (100_000, "1000_to_10000"), (1_000_000, "over_10000")])
def test_price_band_edges(fen: int, band: str) -> None:
    assert price_band(fen) == band


@given(st.integers(0, 10**12))
def test_every_price_has_exactly_one_band(fen: int) -> None:
    hits = [n for n, low, high in PRICE_BANDS if low <= fen and (high is None or fen <= high)]
    assert hits == [price_band(fen)]


@pytest.mark.parametrize(("score", "centi", "band"), [
    (None, -1, "unscored"), (0, 0, "under_60"), (59.994, 5999, "under_60"),
    (59.995, 6000, "60_to_80"), ("79.99", 7999, "60_to_80"), (80, 8000, "80_to_90"),
    (100.0, 10000, "90_to_100")])
def test_quality_bands_use_exact_decimal_hundredths(score: object, centi: int,
                                                    band: str) -> None:
    assert quality_centi(score) == centi
    assert quality_band(centi) == band


def _plan(position: int, kind: PlanKind, price: int | None = None) -> ListingPlan:
    return ListingPlan(position=position, kind=kind, price_fen=price,
                       period=Period.annual if kind is PlanKind.subscription else None,
                       unit=MeterUnit.api_call if kind is PlanKind.metered else None,
                       unit_price_fen=price if kind is PlanKind.metered else None)


def test_only_one_off_and_subscription_prices_are_compared() -> None:
    plans = [_plan(0, PlanKind.free, 0), _plan(1, PlanKind.metered, 5),
             _plan(2, PlanKind.one_off, 1_000), _plan(3, PlanKind.subscription, 5_001)]
    assert valuation_check(plans, None) == (ValuationFlag.unvalued, [])
    assert valuation_check(plans, (1_000, 5_001)) == (ValuationFlag.within, [])
    assert valuation_check(plans, (1_001, 5_000)) == (ValuationFlag.outside, [2, 3])
    assert valuation_check(plans[:2], (1, 2)) == (ValuationFlag.within, [])
