"""Words for the valuation pages (issue 8 §4): labels and hints of the schema-generated inputs,
names of sensitivity drivers and workings. A schema name without a label shows as itself."""

from __future__ import annotations

from marketplace.web.i18n import gettext as _
from marketplace.web.pages.valuation_form import FormField


def names() -> dict[str, str]:
    return {
        "cost": _("Cost approach"), "income": _("Income approach"),
        "market": _("Market approach"),
        "planning": _("Planning"), "collection": _("Collection"), "storage": _("Storage"),
        "processing": _("Processing"), "governance": _("Governance"), "labour": _("Labour"),
        "indirect": _("Indirect costs"), "taxes": _("Taxes and fees"),
        "cost_items": _("Replacement cost by category"),
        "profit_rate": _("Reasonable profit rate R"),
        "remaining_life_years": _("Remaining economic life (years)"),
        "economic_life_years": _("Economic life (years)"),
        "cash_flows_fen": _("Expected cash flows F1…Fn (fen)"),
        "risk_free_rate": _("Risk-free rate"), "risk_premia": _("Risk premia"),
        "name": _("Name"), "rate": _("Rate"),
        "terminal_value_fen": _("Terminal value (fen)"),
        "domain": _("Domain of the comparable deals"),
        "since": _("Comparable deals settled since"),
        "k_supply_demand": _("Supply-demand coefficient K"),
        "annual_price_change": _("Annual price change a"),
        "delta": _("Value coefficient δ"), "replacement_cost": _("Replacement cost C"),
        "discount_rate": _("Discount rate i"), "cash_flows": _("Cash flows"),
        "replacement_cost_fen": _("Replacement cost C (fen)"),
        "quality_coefficient": _("Quality coefficient"), "life_ratio": _("Life ratio"),
        "build_up": _("Discount rate build-up"),
        "terminal_value_pv_fen": _("Present value of the terminal value (fen)"),
        "comparable_count": _("Comparable deals"),
    }


#: Symbols of the sensitivity drivers, for short chart labels (the table beside names them).
SYMBOLS = {"delta": "δ", "replacement_cost": "C", "discount_rate": "i", "cash_flows": "F",
           "k_supply_demand": "K", "annual_price_change": "a"}


def name(key: str) -> str:
    return names().get(key, key)


def label(field: FormField) -> str:
    if field.group == "cost_items":
        return _("%(category)s (fen)", category=name(field.words[0]))
    if field.group is not None:
        return _("Row %(n)s: %(field)s", n=field.words[0], field=name(field.words[1]))
    return name(field.words[0])


def hint(field: FormField) -> str:
    if field.kind == "decimal":
        return _("A decimal number from %(low)s to %(high)s.", low=field.low, high=field.high)
    if field.kind == "integer":
        return _("Whole fen (1 yuan = 100 fen).")
    if field.kind == "list":
        return _("Whole fen per year, separated by commas.")
    if field.kind == "date":
        return _("Optional; a date like 2024-01-31.")
    return ""
