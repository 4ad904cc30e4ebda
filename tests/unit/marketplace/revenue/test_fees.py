"""The split and pro-rata rules of ``marketplace.revenue.fees`` (issue 6 §3). Known answers are
worked by hand in the comments; properties cover every gross, schedule and refund sequence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.revenue.fees import Fees, Split, prorate, reversal, split

STANDARD = Fees(platform_bps=1000, public_service_bps=500, minimum_fee_fen=100)


@pytest.mark.parametrize(("gross", "fees", "expected"), [
    # 10 % of 10 000 = 1 000; 5 % = 500; the merchant keeps 8 500
    (10_000, STANDARD, Split(8_500, 1_000, 500)),
    # 10 % of 12 345 = 1 234.5 → 1 235 (half up); 5 % = 617.25 → 617; 12 345 − 1 852 = 10 493
    (12_345, STANDARD, Split(10_493, 1_235, 617)),
    # 10 % of 500 = 50 < minimum 100 → 100; 5 % = 25; 500 − 125 = 375
    (500, STANDARD, Split(375, 100, 25)),
    # below the minimum fee: all 80 is commission, nothing is left for the other shares
    (80, STANDARD, Split(0, 80, 0)),
    # 101 − 100 (minimum) leaves 1 fen; 5 % of 101 = 5.05 → 5, capped at 1
    (101, STANDARD, Split(0, 100, 1)),
    # 15 fen at 10 %/5 %: 1.5 → 2 and 0.75 → 1 (half up), no minimum
    (15, Fees(1000, 500), Split(12, 2, 1)),
    (0, STANDARD, Split(0, 0, 0)),
    (999, Fees(0, 0), Split(999, 0, 0)),
    (999, Fees(10_000, 0), Split(0, 999, 0)),
    (999, Fees(3_000, 7_000), Split(0, 300, 699)),  # 299.7 → 300; 699.3 → 699
])
def test_known_answer_splits(gross: int, fees: Fees, expected: Split) -> None:
    assert split(gross, fees) == expected
    assert expected.gross_fen == gross


@pytest.mark.parametrize("args", [(-1, 0, 0), (0, -1, 0), (6_000, 5_000, 0), (0, 0, -1),
                                  (10_001, 0, 0)])
def test_invalid_schedules_are_refused(args: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        Fees(*args)


@pytest.mark.parametrize("gross", [-1, True, 1.5])
def test_gross_is_a_non_negative_integer(gross: object) -> None:
    with pytest.raises(ValueError):
        split(gross, STANDARD)  # type: ignore[arg-type]


def test_dhondt_known_answers() -> None:
    # quotients of 5, 3, 2: 5 3 2.5 2 1.67 1.5 1.25 1 1 1 → the top five give (3, 1, 1)
    assert prorate((5, 3, 2), 5) == (3, 1, 1)
    assert prorate((5, 3, 2), 0) == (0, 0, 0)
    assert prorate((5, 3, 2), 10) == (5, 3, 2)
    # a tie (1 and 1 for the second seat) goes to the earlier share
    assert prorate((1, 1), 1) == (1, 0)
    with pytest.raises(ValueError):
        prorate((1, 2), 4)


def test_refund_in_three_steps_reverses_the_sale_exactly() -> None:
    sale = split(10_000, STANDARD)                   # (8 500, 1 000, 500)
    steps = [reversal(sale, 0, 3_333), reversal(sale, 3_333, 6_666),
             reversal(sale, 6_666, 10_000)]
    # quotas 2 833.05 / 333.3 / 166.65 → floors 2 833 / 333 / 166; the one fen left goes to
    # the largest next quotient: 8 500/2 834 ≈ 2.9993 > 1 000/334 ≈ 500/167 ≈ 2.9940
    assert steps[0] == Split(2_834, 333, 166)
    assert [s.gross_fen for s in steps] == [3_333, 3_333, 3_334]
    assert tuple(map(sum, zip(*(s.shares() for s in steps), strict=True))) == sale.shares()


# -- properties ------------------------------------------------------------------------
fees = st.integers(0, 10_000).flatmap(
    lambda p: st.builds(Fees, st.just(p), st.integers(0, 10_000 - p), st.integers(0, 100_000)))
amounts = st.integers(0, 10**12)


@given(amounts, fees)
def test_shares_add_to_gross_and_none_is_negative(gross: int, schedule: Fees) -> None:
    s = split(gross, schedule)
    assert s.gross_fen == gross
    assert min(s.shares()) >= 0
    assert s.platform_fen >= min(gross, schedule.minimum_fee_fen)


shares = st.lists(st.integers(0, 10**9), min_size=1, max_size=5).filter(lambda s: sum(s) > 0)


@given(shares, st.data())
def test_prorate_is_exact_bounded_and_monotone(weights: list[int], data: st.DataObject) -> None:
    whole = sum(weights)
    part = data.draw(st.integers(0, whole - 1))
    now, then = prorate(weights, part), prorate(weights, part + 1)
    assert sum(now) == part and sum(then) == part + 1
    assert all(a <= b <= w for a, b, w in zip(now, then, weights, strict=True))
    for seats, weight in zip(now, weights, strict=True):
        lower = weight * part // whole       # lower quota; at most n−1 seats above it
        assert lower <= seats <= lower + len(weights) - 1
    assert prorate(weights, whole) == tuple(weights)


@given(amounts.filter(bool), fees, st.lists(st.integers(1, 10**12), max_size=8))
def test_any_refund_sequence_reverses_non_negative_parts_and_never_more(
        gross: int, schedule: Fees, asks: list[int]) -> None:
    sale, refunded = split(gross, schedule), 0
    reversed_ = [0, 0, 0]
    for ask in [*asks, gross]:               # finish with a refund of whatever is left
        amount = min(ask, gross - refunded)
        if amount == 0:
            continue
        part = reversal(sale, refunded, refunded + amount)
        assert part.gross_fen == amount and min(part.shares()) >= 0
        refunded += amount
        reversed_ = [r + p for r, p in zip(reversed_, part.shares(), strict=True)]
        assert all(r <= s for r, s in zip(reversed_, sale.shares(), strict=True))
    assert tuple(reversed_) == sale.shares()
