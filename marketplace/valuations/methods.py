"""Cost and income approaches of the China Appraisal Society's data-asset valuation guidance
(《数据资产评估指导意见》, 2023; formulas as in 《资产评估专家指引第9号——数据资产评估》).
Pure: no Flask, no database.

Inputs are :class:`~decimal.Decimal` rates and integer fen. The arithmetic is exact
(:class:`fractions.Fraction` — a Decimal context would round the non-terminating
``1/(1+i)^t`` and could flip a half-fen tie), and every result is quantised once, at the end,
to the fen with ROUND_HALF_EVEN (:func:`to_fen`). The same inputs always give the same fen.

* cost: ``P = C × δ``; ``C = Σ cost items × (1 + R)`` (replacement cost by category plus a
  reasonable profit rate ``R``); ``δ = (q / 100) × (remaining life / economic life)`` with
  ``q`` the element version's quality score (0–100) and the life ratio 1 when not given.
  Sensitivity: ``δ ± 0.1`` (clamped to [0, 1]) and ``C ± 10 %``.
* income: ``P = Σ_{t=1..n} F_t / (1+i)^t + TV / (1+i)^n`` with the discount rate built up as
  ``i = risk-free + Σ risk premia``. Sensitivity: ``i ± 1 pp`` and every ``F_t`` (and TV)
  ``± 10 %``.

A method's range is the lowest and highest value over its base case and sensitivity rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

MAX_FEN = 2**53 - 1  # the ledger's canonical JSON holds integers up to this
COST_CATEGORIES = ("planning", "collection", "storage", "processing", "governance", "labour",
                   "indirect", "taxes")
TEN_PERCENT = Fraction(1, 10)


def to_fen(value: Fraction) -> int:
    """Round an exact amount to whole fen, ties to even; refuses amounts the ledger cannot hold."""
    fen = round(value)  # Fraction.__round__ rounds half to even
    if not 0 <= fen <= MAX_FEN:
        raise ValueError(f"the computed value {fen} fen is outside 0..{MAX_FEN}")
    return fen


def text(value: Fraction | Decimal, places: int = 6) -> str:
    """A figure for the workings: quantised to ``places`` decimals, ties to even."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(
        value, Fraction) else value
    return format(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")


@dataclass(frozen=True)
class Scenario:
    driver: str
    shift: str
    value_fen: int


@dataclass(frozen=True)
class MethodResult:
    method: str
    value_fen: int
    low_fen: int
    high_fen: int
    workings: dict[str, object]
    sensitivity: tuple[Scenario, ...]


def result(method: str, base: Fraction, workings: dict[str, object],
           rows: list[tuple[str, str, Fraction]]) -> MethodResult:
    value = to_fen(base)
    table = tuple(Scenario(driver, shift, to_fen(v)) for driver, shift, v in rows)
    values = [value, *(s.value_fen for s in table)]
    return MethodResult(method, value, min(values), max(values), workings, table)


@dataclass(frozen=True)
class CostItem:
    category: str
    amount_fen: int


@dataclass(frozen=True)
class CostInput:
    items: tuple[CostItem, ...]
    profit_rate: Decimal
    quality_score: Decimal
    remaining_life_years: Decimal | None = None
    economic_life_years: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.items or any(i.amount_fen < 0 for i in self.items):
            raise ValueError("at least one cost item, none negative")
        if not 0 <= self.quality_score <= 100 or self.profit_rate < 0:
            raise ValueError("quality score in 0..100, profit rate >= 0")
        remaining, economic = self.remaining_life_years, self.economic_life_years
        if (remaining is None) != (economic is None) or (
                remaining is not None and economic is not None
                and not (economic > 0 and 0 <= remaining <= economic)):
            raise ValueError("remaining life must be within a positive economic life")


def cost(inp: CostInput) -> MethodResult:
    """``P = C × δ`` (see the module docstring)."""
    c = sum((Fraction(i.amount_fen) for i in inp.items), Fraction(0)) * (
        1 + Fraction(inp.profit_rate))
    life = Fraction(1)
    if inp.remaining_life_years is not None and inp.economic_life_years is not None:
        life = Fraction(inp.remaining_life_years) / Fraction(inp.economic_life_years)
    delta = Fraction(inp.quality_score) / 100 * life

    def clamp(d: Fraction) -> Fraction:
        return min(max(d, Fraction(0)), Fraction(1))

    rows = [("delta", "-0.1", c * clamp(delta - TEN_PERCENT)),
            ("delta", "+0.1", c * clamp(delta + TEN_PERCENT)),
            ("replacement_cost", "-10%", c * (1 - TEN_PERCENT) * delta),
            ("replacement_cost", "+10%", c * (1 + TEN_PERCENT) * delta)]
    workings = {"replacement_cost_fen": text(c, 2), "quality_coefficient": text(
        Fraction(inp.quality_score) / 100), "life_ratio": text(life), "delta": text(delta)}
    return result("cost", c * delta, workings, rows)


@dataclass(frozen=True)
class Premium:
    name: str
    rate: Decimal


@dataclass(frozen=True)
class IncomeInput:
    cash_flows_fen: tuple[int, ...]
    risk_free_rate: Decimal
    premia: tuple[Premium, ...] = ()
    terminal_value_fen: int = 0

    @property
    def discount_rate(self) -> Decimal:
        return self.risk_free_rate + sum((p.rate for p in self.premia), Decimal(0))

    def __post_init__(self) -> None:
        if not self.cash_flows_fen or min(self.cash_flows_fen) < 0 or self.terminal_value_fen < 0:
            raise ValueError("at least one cash flow; cash flows and terminal value >= 0")
        if not 0 < self.discount_rate <= 1:
            raise ValueError("the discount rate must be in (0, 1]")


def present_value(flows: tuple[int, ...], terminal: int, rate: Fraction,
                  scale: Fraction = Fraction(1)) -> Fraction:
    """``Σ F_t/(1+i)^t + TV/(1+i)^n``, every amount multiplied by ``scale``; exact."""
    factor, total = Fraction(1), Fraction(0)
    for flow in flows:
        factor /= 1 + rate
        total += flow * factor
    return (total + terminal * factor) * scale


def income(inp: IncomeInput) -> MethodResult:
    """``P = Σ F_t / (1+i)^t (+ TV / (1+i)^n)`` (see the module docstring)."""
    i, pv = Fraction(inp.discount_rate), present_value
    flows, tv = inp.cash_flows_fen, inp.terminal_value_fen
    rows = [("discount_rate", "-1pp", pv(flows, tv, i - Fraction(1, 100))),
            ("discount_rate", "+1pp", pv(flows, tv, i + Fraction(1, 100))),
            ("cash_flows", "-10%", pv(flows, tv, i, 1 - TEN_PERCENT)),
            ("cash_flows", "+10%", pv(flows, tv, i, 1 + TEN_PERCENT))]
    workings = {"discount_rate": str(inp.discount_rate),
                "build_up": "; ".join([f"risk_free {inp.risk_free_rate}",
                                       *(f"{p.name} {p.rate}" for p in inp.premia)]),
                "terminal_value_pv_fen": text(pv((0,) * len(flows), tv, i), 2)}
    return result("income", pv(flows, tv, i), workings, rows)
