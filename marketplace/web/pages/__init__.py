"""Console areas, one blueprint each (issue 8 §1–6)."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

# Module names under marketplace.web.pages, each exposing ``bp``. One line per area.
AREAS = (
    # --- public ---
    # --- merchant ---
    # --- buyer ---
    # --- assessor and operator ---
    # --- auditor and ledger ---
)


def blueprints() -> list[Blueprint]:
    return [import_module(f"{__name__}.{name}").bp for name in AREAS]
