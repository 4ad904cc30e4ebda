"""Console areas, one blueprint each (issue 8 §1–6)."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

# Module names under marketplace.web.pages, each exposing ``bp``. One line per area.
AREAS = (
    # --- public ---
    "public",
    # --- merchant ---
    "merchant_assets", "merchant_pipelines", "merchant_elements", "merchant_listings",
    "merchant_revenue", "merchant_policy",
    # --- buyer ---
    "buyer", "buyer_licenses", "buyer_sandbox", "buyer_keys", "buyer_invoices",
    # --- assessor and operator ---
    "assessor", "operator", "operator_books", "operator_invoices",
    # --- auditor and ledger ---
    "audit",
    "ledger",
)


def blueprints() -> list[Blueprint]:
    return [import_module(f"{__name__}.{name}").bp for name in AREAS]
