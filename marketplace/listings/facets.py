"""Facet filters and counts for the catalog (issue 5 §3).

Counts are disjunctive ("multi-select") facet counts, the usual faceted-search semantics: the
count of a value is the number of results the search would have if that value were added to
its facet's selection — the query and every *other* facet's filter apply, the facet's own
filter does not. For a facet nobody filtered on, that is simply the count within the current
results; for a filtered one it shows what else could be selected. ``total`` is the number of
results with every filter applied. A listing with both delivery modes counts under each.

Every facet but the domain has a small fixed vocabulary, so a catalog entry stores them
together as one mixed-radix integer, ``facet_key``. The database returns the joint
distribution of (domain, facet_key) over the query's matches — one grouped scan, a few
thousand rows at most — and every total and disjunctive count is summed from it here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement

from marketplace.accounts.models import MERCHANT_KINDS, OrgKind
from marketplace.assets.models import Classification
from marketplace.elements.publish import DELIVERY_MODES
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.pricing import PRICE_BANDS, QUALITY_BANDS

DELIVERY_MODE_BITS = {mode: 1 << i for i, mode in enumerate(DELIVERY_MODES)}


def mode_bits(modes: Iterable[str]) -> int:
    bits = 0
    for mode in modes:
        bits |= DELIVERY_MODE_BITS[mode]
    return bits


def modes_of(bits: int) -> list[str]:
    return [mode for mode, bit in DELIVERY_MODE_BITS.items() if bits & bit]


VOCABULARY: dict[str, list[str]] = {
    "merchant_kind": [k.value for k in OrgKind if k in MERCHANT_KINDS],
    "delivery_mode": list(DELIVERY_MODE_BITS),
    "price_band": [name for name, _, _ in PRICE_BANDS],
    "quality_band": [name for name, _, _ in QUALITY_BANDS],
    "classification": [c.value for c in Classification],
}
FACETS = ("domain", *VOCABULARY)
KEYED = ("merchant_kind", "modes", "price_band", "quality_band", "classification")
_RADIX = (len(VOCABULARY["merchant_kind"]), 1 << len(DELIVERY_MODE_BITS),
          len(PRICE_BANDS), len(QUALITY_BANDS), len(Classification))
#: facet_key → the facet values it stands for (delivery modes as a tuple).
DECODED: list[dict[str, Any]] = [
    {"merchant_kind": VOCABULARY["merchant_kind"][k], "delivery_mode": tuple(modes_of(m)),
     "price_band": VOCABULARY["price_band"][p], "quality_band": VOCABULARY["quality_band"][q],
     "classification": VOCABULARY["classification"][c]}
    for c, q, p, m, k in product(*(range(r) for r in reversed(_RADIX)))]
_COLUMNS = {"domain": E.domain, "merchant_kind": E.merchant_kind, "price_band": E.price_band,
            "quality_band": E.quality_band, "classification": E.classification}
_ENUMS = {"merchant_kind": OrgKind, "classification": Classification}


def facet_key(merchant_kind: str, modes: Sequence[str], price_band: str, quality_band: str,
              classification: str) -> int:
    digits = (VOCABULARY["merchant_kind"].index(merchant_kind), mode_bits(modes),
              VOCABULARY["price_band"].index(price_band),
              VOCABULARY["quality_band"].index(quality_band),
              VOCABULARY["classification"].index(classification))
    key, scale = 0, 1
    for digit, radix in zip(digits, _RADIX, strict=True):
        key, scale = key + digit * scale, scale * radix
    return key


def condition(facet: str, values: list[str]) -> ColumnElement[bool]:
    """The SQL filter for one facet: any of ``values``."""
    if facet == "delivery_mode":
        return E.modes.op("&")(mode_bits(values)) != 0
    enum = _ENUMS.get(facet)
    return _COLUMNS[facet].in_([enum(v) for v in values] if enum else values)


def _failing(key: int, active: list[tuple[str, list[str]]]) -> tuple[str, ...]:
    """The non-domain facets whose filter the entries with ``key`` fail."""
    values = DECODED[key]
    return tuple(facet for facet, wanted in active if facet != "domain" and not (
        set(values[facet]) & set(wanted) if facet == "delivery_mode"
        else values[facet] in wanted))


def count_facets(joint: Iterable[tuple[str, int, int]], filters: dict[str, list[str]]
                 ) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """``(total, facets)`` from the (domain, facet_key, count) rows of the query's matches.

    A row failing no filter counts in ``total`` and in every facet; a row failing exactly one
    facet's filter counts only in that facet (disjunctive counts); others count nowhere.
    Counts are first gathered per key, then spread over the key's values."""
    active = [(facet, wanted) for facet, wanted in filters.items() if wanted]
    domains = set(filters.get("domain") or ())
    fails: dict[int, tuple[str, ...]] = {}
    total, by_domain = 0, Counter[str]()
    keys: dict[str | None, Counter[int]] = {}  # facet counted alone (None: all) → key counts
    for domain, key, n in joint:
        failing = fails.get(key)
        if failing is None:
            failing = fails[key] = _failing(key, active)
        if domains and domain not in domains:
            failing = (*failing, "domain")
        if len(failing) > 1:
            continue
        if not failing:
            total += n
        if not failing or failing == ("domain",):
            by_domain[domain] += n
        if failing != ("domain",):
            target = keys.setdefault(failing[0] if failing else None, Counter())
            target[key] += n
    counts = {facet: Counter[str]() for facet in VOCABULARY}
    for only, per_key in keys.items():
        for key, n in per_key.items():
            values = DECODED[key]
            for facet in (only,) if only else VOCABULARY:
                for value in values[facet] if facet == "delivery_mode" else (values[facet],):
                    counts[facet][value] += n
    counts["domain"] = by_domain
    return total, {facet: _listing(facet, counts[facet], filters.get(facet, []))
                   for facet in FACETS}


def _listing(facet: str, counts: Counter[str], selected: list[str]) -> list[dict[str, Any]]:
    if facet in VOCABULARY:
        return [{"value": v, "count": counts.get(v, 0)} for v in VOCABULARY[facet]]
    ordered = sorted(set(counts) | set(selected), key=lambda v: (-counts.get(v, 0), v))
    return [{"value": v, "count": counts.get(v, 0)} for v in ordered]
