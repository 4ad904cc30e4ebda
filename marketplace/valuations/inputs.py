"""From a loaded valuation request and the element version's own facts to method inputs and
results (issue 5 §1). The quality score, row count, domain and the market comparables come
from the server, never from the assessor. Every refusal is 422 naming ``methods.<name>``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from marketplace.elements.models import ElementVersion
from marketplace.errors import ValidationFailed
from marketplace.valuations import deals
from marketplace.valuations.market import (
    MAX_COMPARABLES,
    MIN_COMPARABLES,
    Comparable,
    MarketInput,
    market,
)
from marketplace.valuations.methods import (
    CostInput,
    CostItem,
    IncomeInput,
    MethodResult,
    Premium,
    cost,
    income,
)


@dataclass(frozen=True)
class Facts:
    element_id: str
    quality_score: Decimal | None
    rows: int
    domain: str


def facts_of(version: ElementVersion) -> Facts:
    return Facts(version.element_id, deals.quality_score(version), version.row_count,
                 deals.element_domain(version))


def _refuse(method: str, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(errors={"methods": {method: {field: [message]}}})


def _quality(method: str, facts: Facts) -> Decimal:
    if facts.quality_score is None:
        raise _refuse(method, "_schema", "The element version has no quality score; the "
                                         f"{method} approach needs one.")
    return facts.quality_score


def _cost(spec: dict[str, Any], facts: Facts, _day: date, _cur: str) -> MethodResult:
    return cost(CostInput(
        tuple(CostItem(i["category"], i["amount_fen"]) for i in spec["cost_items"]),
        spec["profit_rate"], _quality("cost", facts), spec["remaining_life_years"],
        spec["economic_life_years"]))


def _income(spec: dict[str, Any], _facts: Facts, _day: date, _cur: str) -> MethodResult:
    return income(IncomeInput(
        tuple(spec["cash_flows_fen"]), spec["risk_free_rate"],
        tuple(Premium(p["name"], p["rate"]) for p in spec["risk_premia"]),
        spec["terminal_value_fen"]))


def _months(earlier: date, later: date) -> int:
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month)


def _market(spec: dict[str, Any], facts: Facts, day: date, currency: str) -> MethodResult:
    quality = _quality("market", facts)
    domain = spec["domain"] = spec["domain"] or facts.domain  # the record shows what was used
    query = deals.usable(domain, currency, spec["since"], day, exclude_element=facts.element_id)
    found = deals.count(query)
    if found < MIN_COMPARABLES:
        raise _refuse("market", "domain", (
            f"Found {found} settled deal(s) in domain {domain!r} (other elements, {currency}, "
            f"up to {day.isoformat()}); the market approach needs at least {MIN_COMPARABLES}."))
    rows = deals.newest_first(query, None, MAX_COMPARABLES)
    return market(MarketInput(
        tuple(Comparable(d.id, d.price_fen, Decimal(d.quality_centi or 0) / 100, d.rows,
                         _months(d.settled_at.date(), day)) for d in rows),
        quality, facts.rows, spec["k_supply_demand"], spec["annual_price_change"]))


RUNNERS = {"cost": _cost, "income": _income, "market": _market}


def run(methods: dict[str, Any], facts: Facts, day: date,
        currency: str) -> list[MethodResult]:
    """Each requested method's result, in the fixed order cost, income, market."""
    results = []
    for name, runner in RUNNERS.items():
        if methods.get(name) is None:
            continue
        try:
            results.append(runner(methods[name], facts, day, currency))
        except ValueError as exc:  # e.g. a value beyond what the ledger can hold
            raise _refuse(name, "_schema", str(exc)) from exc
    return results


def plain(value: Any) -> Any:
    """The loaded request as canonical-JSON values: Decimals and dates as text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value
