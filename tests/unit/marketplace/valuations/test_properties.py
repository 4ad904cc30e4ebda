"""Invariants of the valuation methods (issue 5 §1 acceptance), by property test: monotone in
the quality score, discounting lowers value, more cash raises it, every range contains its
value and its sensitivity rows, and results are fen-exact — equal to an independent exact
computation written differently here — and the same however a rate is spelt."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from marketplace.valuations.market import Comparable, MarketInput, market
from marketplace.valuations.methods import (
    COST_CATEGORIES,
    CostInput,
    CostItem,
    IncomeInput,
    MethodResult,
    Premium,
    cost,
    income,
)
from marketplace.valuations.reconcile import Reconciliation, reconcile

FEN = st.integers(0, 10**11)
SCORE = st.decimals("0", "100", places=2)
RATE = st.decimals("0.001", "0.5", places=4)
FLOWS = st.lists(FEN, min_size=1, max_size=12)


@st.composite
def cost_inputs(draw: st.DrawFn, score: Decimal | None = None) -> CostInput:
    categories = draw(st.lists(st.sampled_from(COST_CATEGORIES), min_size=1, unique=True))
    items = tuple(CostItem(c, draw(FEN)) for c in categories)
    life = draw(st.none() | st.tuples(st.integers(0, 30), st.integers(1, 30)).filter(
        lambda t: t[0] <= t[1]))
    return CostInput(items, draw(st.decimals("0", "1", places=3)),
                     draw(SCORE) if score is None else score,
                     None if life is None else Decimal(life[0]),
                     None if life is None else Decimal(life[1]))


# bounded so the largest adjusted value (10^6 × 10^4 × 2 × 1.042^60 × 10^3) stays < 2^53 fen
COMPARABLE = st.builds(Comparable, st.just("d"), st.integers(0, 10**6),
                       st.decimals("0.01", "100", places=2), st.integers(1, 10**6),
                       st.integers(0, 60))


@st.composite
def market_inputs(draw: st.DrawFn) -> MarketInput:
    return MarketInput(tuple(draw(st.lists(COMPARABLE, min_size=3, max_size=8))), draw(SCORE),
                       draw(st.integers(0, 10**3)), draw(st.decimals("0.5", "2", places=2)),
                       draw(st.decimals("-0.5", "0.5", places=3)))


def _contains(r: MethodResult) -> bool:
    return r.low_fen <= r.value_fen <= r.high_fen and all(
        r.low_fen <= s.value_fen <= r.high_fen for s in r.sensitivity)


@given(cost_inputs(), SCORE, SCORE)
def test_cost_is_monotone_in_the_quality_score(inp: CostInput, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    at = [cost(CostInput(inp.items, inp.profit_rate, q, inp.remaining_life_years,
                         inp.economic_life_years)).value_fen for q in (low, high)]
    assert at[0] <= at[1]


@given(market_inputs(), SCORE)
def test_market_is_monotone_in_the_quality_score(inp: MarketInput, other: Decimal) -> None:
    low, high = sorted((inp.quality_score, other))
    at = [market(MarketInput(inp.comparables, q, inp.rows, inp.k_supply_demand,
                             inp.annual_price_change)).value_fen for q in (low, high)]
    assert at[0] <= at[1]


@given(FLOWS, FEN, RATE, RATE)
def test_a_higher_discount_rate_never_raises_the_value(flows: list[int], tv: int,
                                                      a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    at = [income(IncomeInput(tuple(flows), r, (), tv)).value_fen for r in (low, high)]
    assert at[0] >= at[1]


@given(FLOWS, RATE, st.data())
def test_more_cash_never_lowers_the_value(flows: list[int], rate: Decimal,
                                          data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(flows) - 1))
    more = list(flows)
    more[t] += data.draw(st.integers(1, 10**9))
    before, after = (income(IncomeInput(tuple(f), rate)).value_fen for f in (flows, more))
    assert before <= after


def _round_half_even(x: Fraction) -> int:
    floor, rest = divmod(x.numerator, x.denominator)
    twice = 2 * rest
    if twice != x.denominator:
        return floor + (twice > x.denominator)
    return floor + (floor % 2)


@given(FLOWS, FEN, RATE, st.lists(RATE, max_size=3))
def test_income_is_fen_exact(flows: list[int], tv: int, rf: Decimal,
                             premia: list[Decimal]) -> None:
    """Against Σ F_t (1+i)^(n−t) / (1+i)^n, a single fraction built independently."""
    i = Fraction(rf) + sum(map(Fraction, premia), Fraction(0))
    if not 0 < i <= 1:
        return
    n, g = len(flows), 1 + i
    exact = (sum(f * g ** (n - t) for t, f in enumerate(flows, 1)) + tv) / g**n
    got = income(IncomeInput(tuple(flows), rf, tuple(Premium("p", p) for p in premia), tv))
    assert got.value_fen == _round_half_even(exact)


@given(cost_inputs())
def test_cost_is_fen_exact(inp: CostInput) -> None:
    life = (Fraction(inp.remaining_life_years) / Fraction(inp.economic_life_years)
            if inp.economic_life_years else Fraction(1))
    exact = (sum(i.amount_fen for i in inp.items) * (1 + Fraction(inp.profit_rate))
             * Fraction(inp.quality_score) / 100 * life)
    assert cost(inp).value_fen == _round_half_even(exact)


@given(FLOWS, RATE)
def test_the_spelling_of_a_rate_does_not_matter(flows: list[int], rate: Decimal) -> None:
    padded = Decimal(f"{rate}000")  # "0.1" and "0.1000" are the same rate
    assert income(IncomeInput(tuple(flows), rate)).value_fen == income(
        IncomeInput(tuple(flows), padded)).value_fen


@given(cost_inputs(), FLOWS, RATE, market_inputs(), st.integers(0, 100), st.integers(0, 100))
def test_every_range_contains_its_value(c: CostInput, flows: list[int], rate: Decimal,
                                        m: MarketInput, w1: int, w2: int) -> None:
    results = [cost(c), income(IncomeInput(tuple(flows), rate)), market(m)]
    assert all(_contains(r) for r in results)
    w1, w2 = sorted((w1, w2))
    weights = {"cost": Decimal(w1) / 100, "income": Decimal(w2 - w1) / 100,
               "market": Decimal(100 - w2) / 100}
    out = reconcile(results, Reconciliation(weights, "x" * 20))
    assert out.low_fen <= out.value_fen <= out.high_fen
    assert all(out.low_fen <= row.value_fen <= out.high_fen for row in out.sensitivity)
    assert min(r.value_fen for r in results) <= out.value_fen <= max(
        r.value_fen for r in results)


@given(market_inputs())
def test_market_is_deterministic_and_the_mean_of_its_table(m: MarketInput) -> None:
    first, again = market(m), market(m)
    assert first == again
    adjusted = [c["adjusted_fen"] for c in first.workings["comparables"]]  # type: ignore[attr-defined]
    # each adjusted price is rounded on its own, so their mean is within a fen per deal
    assert abs(sum(adjusted) / len(adjusted) - first.value_fen) <= 1
