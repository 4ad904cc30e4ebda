"""Known-answer tests for the valuation methods (issue 5 §1 acceptance). Every expected figure
is worked by hand in the comment above it, from the formulas of the China Appraisal Society's
data-asset valuation guidance (2023) as documented in ``marketplace.valuations.methods``,
``.market`` and ``.reconcile``; amounts are fen, rounding is once, half to even."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from marketplace.valuations.market import Comparable, MarketInput, market
from marketplace.valuations.methods import (
    CostInput,
    CostItem,
    IncomeInput,
    Premium,
    Scenario,
    cost,
    income,
)
from marketplace.valuations.reconcile import (
    Reconciliation,
    ReconciliationError,
    reconcile,
)

COST = CostInput((CostItem("collection", 300_000), CostItem("processing", 150_000),
                  CostItem("governance", 50_000)), D("0.12"), D("85.5"), D("3"), D("5"))
INCOME = IncomeInput((1_000_000, 1_100_000, 1_210_000), D("0.03"),
                     (Premium("market", D("0.05")), Premium("liquidity", D("0.02"))))
RATIONALE = "Income approach reflects contracted API revenue; cost is a floor."


def test_cost_approach() -> None:
    r = cost(COST)
    # C = (300 000 + 150 000 + 50 000) × (1 + 0.12) = 500 000 × 1.12 = 560 000
    # δ = 85.5 / 100 × 3 / 5 = 0.855 × 0.6 = 0.513
    # P = 560 000 × 0.513 = 287 280
    assert r.value_fen == 287_280
    assert r.workings["replacement_cost_fen"] == "560000.00"
    assert r.workings["delta"] == "0.513000"
    assert r.sensitivity == (
        Scenario("delta", "-0.1", 231_280),              # 560 000 × 0.413
        Scenario("delta", "+0.1", 343_280),              # 560 000 × 0.613
        Scenario("replacement_cost", "-10%", 258_552),   # 504 000 × 0.513
        Scenario("replacement_cost", "+10%", 316_008))   # 616 000 × 0.513
    assert (r.low_fen, r.high_fen) == (231_280, 343_280)


@pytest.mark.parametrize(("replacement", "value"), [
    (5, 2),  # 5 × 0.5 = 2.5 → ties to even → 2
    (7, 4),  # 7 × 0.5 = 3.5 → ties to even → 4
])
def test_cost_rounds_half_to_even(replacement: int, value: int) -> None:
    r = cost(CostInput((CostItem("storage", replacement),), D(0), D(50)))
    assert r.value_fen == value


def test_cost_delta_is_clamped_to_zero_and_one() -> None:
    # q = 100, no life ratio: δ = 1; δ + 0.1 is clamped to 1 → C; δ − 0.1 = 0.9
    full = cost(CostInput((CostItem("labour", 1_000),), D(0), D(100)))
    assert [s.value_fen for s in full.sensitivity[:2]] == [900, 1_000]
    # q = 5: δ = 0.05; δ − 0.1 is clamped to 0 → 0
    poor = cost(CostInput((CostItem("labour", 1_000),), D(0), D(5)))
    assert poor.value_fen == 50 and poor.sensitivity[0].value_fen == 0


def test_income_approach() -> None:
    r = income(INCOME)
    # i = 0.03 + 0.05 + 0.02 = 0.10
    # P = 1 000 000 / 1.1 + 1 100 000 / 1.21 + 1 210 000 / 1.331
    #   = 909 090.909… × 3 = 2 727 272.727… → 2 727 273
    assert r.value_fen == 2_727_273
    assert r.workings["discount_rate"] == "0.10"
    assert r.workings["build_up"] == "risk_free 0.03; market 0.05; liquidity 0.02"
    assert r.sensitivity == (
        # i = 0.09: 917 431.19 + 925 847.99 + 934 342.01 = 2 777 621.196…
        Scenario("discount_rate", "-1pp", 2_777_621),
        # i = 0.11: 900 900.90 + 892 784.67 + 884 741.58 = 2 678 427.148…
        Scenario("discount_rate", "+1pp", 2_678_427),
        Scenario("cash_flows", "-10%", 2_454_545),   # 2 727 272.727… × 0.9 = 2 454 545.45…
        Scenario("cash_flows", "+10%", 3_000_000))   # 2 727 272.727… × 1.1 = 3 000 000
    assert (r.low_fen, r.high_fen) == (2_454_545, 3_000_000)


def test_income_terminal_value() -> None:
    r = income(IncomeInput(INCOME.cash_flows_fen, INCOME.risk_free_rate, INCOME.premia,
                           terminal_value_fen=13_310_000))
    # TV / 1.1^3 = 13 310 000 / 1.331 = 10 000 000; P = 2 727 272.727… + 10 000 000
    assert r.value_fen == 12_727_273
    assert r.workings["terminal_value_pv_fen"] == "10000000.00"


@pytest.mark.parametrize(("flows", "value"), [
    ((3,), 2),     # 3 / 1.2 = 2.5 → 2
    ((4, 6), 8),   # 4 / 1.2 + 6 / 1.44 = 10/3 + 25/6 = 45/6 = 7.5 → 8
])
def test_income_rounds_exact_ties_to_even(flows: tuple[int, ...], value: int) -> None:
    assert income(IncomeInput(flows, D("0.2"))).value_fen == value


def test_market_approach() -> None:
    subject = dict(quality_score=D(90), rows=20_000, k_supply_demand=D("1.05"),
                   annual_price_change=D("0.06"))
    comps = (Comparable("a", 1_000_000, D(80), 10_000, 0),
             Comparable("b", 2_000_000, D(90), 40_000, 2),
             Comparable("c", 1_500_000, D(100), 20_000, 1))
    r = market(MarketInput(comps, **subject))
    # monthly change 0.06 / 12 = 0.005
    # a: 1 000 000 × 90/80 × 1.05 × 1.005^0 × 20 000/10 000 = 2 362 500
    # b: 2 000 000 × 1 × 1.05 × 1.010025 × 0.5 = 1 060 526.25
    # c: 1 500 000 × 0.9 × 1.05 × 1.005 × 1 = 1 424 587.5
    # mean = 4 847 613.75 / 3 = 1 615 871.25 → 1 615 871
    assert r.value_fen == 1_615_871
    table = r.workings["comparables"]
    assert [c["adjusted_fen"] for c in table] == [2_362_500, 1_060_526, 1_424_588]  # type: ignore[index]
    assert table[1]["k_date"] == "1.010025"  # type: ignore[index]
    assert table[0]["k_quality"] == "1.125000" and table[0]["k_capacity"] == "2.000000"  # type: ignore[index]
    # K_supply-demand ± 10 %: 1 615 871.25 × 0.9 = 1 454 284.125; × 1.1 = 1 777 458.375
    assert [s.value_fen for s in r.sensitivity[:2]] == [1_454_284, 1_777_458]


def test_market_needs_three_comparables() -> None:
    with pytest.raises(ValueError, match="comparables"):
        MarketInput((Comparable("a", 1, D(50), 1, 0),) * 2, D(50), 1)


def test_reconciliation_weighted_sum_and_span() -> None:
    c, i = cost(COST), income(INCOME)
    out = reconcile([c, i], Reconciliation({"cost": D("0.3"), "income": D("0.7")}, RATIONALE))
    # 0.3 × 287 280 + 0.7 × 2 727 273 = 86 184 + 1 909 091.1 = 1 995 275.1 → 1 995 275
    assert out.value_fen == 1_995_275
    # range: lowest method low (cost, 231 280) .. highest method high (income, 3 000 000)
    assert (out.low_fen, out.high_fen) == (231_280, 3_000_000)
    # cost δ − 0.1 alone: 0.3 × 231 280 + 0.7 × 2 727 273 = 69 384 + 1 909 091.1 → 1 978 475
    first = out.sensitivity[0]
    assert (first.method, first.method_value_fen, first.value_fen) == ("cost", 231_280,
                                                                      1_978_475)
    assert len(out.sensitivity) == 8


def test_one_method_is_its_own_result() -> None:
    out = reconcile([cost(COST)], None)
    assert (out.value_fen, out.low_fen, out.high_fen) == (287_280, 231_280, 343_280)
    assert [r.value_fen for r in out.sensitivity] == [231_280, 343_280, 258_552, 316_008]


@pytest.mark.parametrize(("methods", "rec", "field"), [
    (["cost", "income"], None, "_schema"),
    (["cost"], Reconciliation({"cost": D(1)}, RATIONALE), "_schema"),
    (["cost", "income"], Reconciliation({"cost": D(1)}, RATIONALE), "weights"),
    (["cost", "income"], Reconciliation({"cost": D("0.5"), "income": D("0.4")}, RATIONALE),
     "weights"),
    (["cost", "income"], Reconciliation({"cost": D("1.5"), "income": D("-0.5")}, RATIONALE),
     "weights"),
    (["cost", "income"], Reconciliation({"cost": D("0.5"), "income": D("0.5")}, "  short  "),
     "rationale"),
])
def test_bad_reconciliations_name_the_field(methods: list[str], rec: Reconciliation | None,
                                            field: str) -> None:
    results = {"cost": cost(COST), "income": income(INCOME)}
    with pytest.raises(ReconciliationError) as caught:
        reconcile([results[m] for m in methods], rec)
    assert caught.value.field == field


@pytest.mark.parametrize("bad", [
    lambda: CostInput((), D(0), D(50)),
    lambda: CostInput((CostItem("labour", 1),), D(0), D(101)),
    lambda: CostInput((CostItem("labour", 1),), D(0), D(50), D(6), D(5)),
    lambda: CostInput((CostItem("labour", 1),), D(0), D(50), D(3), None),
    lambda: IncomeInput((), D("0.1")),
    lambda: IncomeInput((1,), D(0)),
    lambda: IncomeInput((-1,), D("0.1")),
])
def test_inputs_refuse_nonsense(bad: object) -> None:
    with pytest.raises(ValueError):
        bad()  # type: ignore[operator]
