"""Market approach of the China Appraisal Society's data-asset valuation guidance (2023): the
mean of comparable deals' prices, each adjusted by four coefficients. Pure: no Flask, no
database; exact arithmetic and one ROUND_HALF_EVEN rounding, as in :mod:`.methods`.

``P = mean_j(P_j × K_quality × K_supply-demand × K_date × K_capacity)`` where, for comparable
``j`` and the subject element version:

* ``K_quality = q / q_j`` — ratio of the profiled quality scores (0–100);
* ``K_supply-demand`` — the assessor's judgement of the market, one figure for all deals;
* ``K_date = (1 + a / 12)^m`` — ``a`` the assessor's annual price change of data products,
  ``m`` the whole months from the deal's month to the valuation date's month;
* ``K_capacity = rows / rows_j`` — ratio of the row counts (data capacity).

The comparables are this exchange's own settled deals chosen by the server; at least
:data:`MIN_COMPARABLES` are needed. Sensitivity: ``K_supply-demand ± 10 %`` and
``a ± 1 pp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from marketplace.valuations.methods import TEN_PERCENT, MethodResult, result, text, to_fen

MIN_COMPARABLES = 3
MAX_COMPARABLES = 50
ONE_PP = Fraction(1, 100)


@dataclass(frozen=True)
class Comparable:
    ref: str
    price_fen: int
    quality_score: Decimal
    rows: int
    months_before: int


@dataclass(frozen=True)
class MarketInput:
    comparables: tuple[Comparable, ...]
    quality_score: Decimal
    rows: int
    k_supply_demand: Decimal = Decimal(1)
    annual_price_change: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not MIN_COMPARABLES <= len(self.comparables) <= MAX_COMPARABLES:
            raise ValueError(f"between {MIN_COMPARABLES} and {MAX_COMPARABLES} comparables")
        if any(c.price_fen < 0 or not 0 < c.quality_score <= 100 or c.rows <= 0
               or c.months_before < 0 for c in self.comparables):
            raise ValueError("comparables need a price >= 0, quality in (0, 100], rows > 0")
        if not 0 <= self.quality_score <= 100 or self.rows < 0:
            raise ValueError("subject quality in 0..100, rows >= 0")
        if self.k_supply_demand <= 0 or not -1 < self.annual_price_change < 1:
            raise ValueError("K_supply-demand > 0, annual price change in (-1, 1)")


def _k(c: Comparable, inp: MarketInput, annual: Fraction) -> dict[str, Fraction]:
    return {"k_quality": Fraction(inp.quality_score) / Fraction(c.quality_score),
            "k_supply_demand": Fraction(inp.k_supply_demand),
            "k_date": (1 + annual / 12) ** c.months_before,
            "k_capacity": Fraction(inp.rows, c.rows)}


def _adjusted(c: Comparable, inp: MarketInput, annual: Fraction,
              scale: Fraction = Fraction(1)) -> Fraction:
    product = Fraction(c.price_fen) * scale
    for factor in _k(c, inp, annual).values():
        product *= factor
    return product


def _mean(inp: MarketInput, annual: Fraction, scale: Fraction = Fraction(1)) -> Fraction:
    total = sum((_adjusted(c, inp, annual, scale) for c in inp.comparables), Fraction(0))
    return total / len(inp.comparables)


def market(inp: MarketInput) -> MethodResult:
    """The adjusted mean (see the module docstring)."""
    a = Fraction(inp.annual_price_change)
    table = [{"ref": c.ref, "price_fen": c.price_fen,
              **{name: text(k) for name, k in _k(c, inp, a).items()},
              "adjusted_fen": to_fen(_adjusted(c, inp, a))} for c in inp.comparables]
    rows = [("k_supply_demand", "-10%", _mean(inp, a, 1 - TEN_PERCENT)),
            ("k_supply_demand", "+10%", _mean(inp, a, 1 + TEN_PERCENT)),
            ("annual_price_change", "-1pp", _mean(inp, a - ONE_PP)),
            ("annual_price_change", "+1pp", _mean(inp, a + ONE_PP))]
    workings = {"comparable_count": len(inp.comparables), "comparables": table}
    return result("market", _mean(inp, a), workings, rows)
