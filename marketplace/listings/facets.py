"""Facet filters and counts for the catalog (issue 5 §3).

Counts are disjunctive ("multi-select") facet counts, the usual faceted-search semantics: the
count of a value is the number of results the search would have if that value were added to
its facet's selection — the query and every *other* facet's filter apply, the facet's own
filter does not. For a facet nobody filtered on, that is simply the count within the current
results; for a filtered one it shows what else could be selected. ``total`` is the number of
results with every filter applied. A listing with both delivery modes counts under each.

Every facet but the domain has a small fixed vocabulary, so a catalog entry stores them
together as one mixed-radix integer, ``facet_key`` (one digit per facet, :data:`DIGITS`).
Everything is summed from two marginals of the query's matches: per domain, the matches that
pass every non-domain filter; per ``facet_key``, the matches that pass the domain filter. A
key's digits say which non-domain filters its matches fail, and so where they count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from math import prod
from typing import Any

from sqlalchemy import ColumnElement, literal_column

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


_SCALES = tuple(prod(_RADIX[:i]) for i in range(len(_RADIX)))
#: facet_key → its digits, one per facet of :data:`VOCABULARY` (delivery modes: the bit set).
DIGITS: list[tuple[int, ...]] = [tuple(key // scale % radix for scale, radix in zip(
    _SCALES, _RADIX, strict=True)) for key in range(prod(_RADIX))]


def condition(facet: str, values: list[str]) -> ColumnElement[bool]:
    """The SQL filter for one facet: any of ``values``."""
    if facet == "delivery_mode":
        return E.modes.op("&")(mode_bits(values)) != 0
    enum = _ENUMS.get(facet)
    return _COLUMNS[facet].in_([enum(v) for v in values] if enum else values)


def allowed_digits(facet: str, values: list[str]) -> list[int]:
    """The digits of a non-domain facet whose entries pass its filter (any of ``values``)."""
    if facet == "delivery_mode":
        bits = mode_bits(values)
        return [digit for digit in range(_RADIX[1]) if digit & bits]
    return sorted({VOCABULARY[facet].index(value) for value in values})


def key_condition(facet: str, values: list[str], domain: Any, key: Any
                  ) -> ColumnElement[bool]:
    """:func:`condition` on a (domain, facet_key) pair of columns: one digit of the key. The
    allowed digits are written into the SQL (a fixed vocabulary's, so a statement's shape);
    ``values`` of the domain may be bound parameters."""
    if facet == "domain":
        return domain.in_(values)  # type: ignore[no-any-return]
    i = list(VOCABULARY).index(facet)
    digits = [literal_column(str(d)) for d in allowed_digits(facet, values)]
    return (key // _SCALES[i] % _RADIX[i]).in_(digits)  # type: ignore[no-any-return]


def _active(filters: dict[str, list[str]]) -> list[tuple[str, int, frozenset[int]]]:
    """(facet, digit position, allowed digits) of every non-domain filter given."""
    return [(facet, list(VOCABULARY).index(facet), frozenset(allowed_digits(facet, wanted)))
            for facet, wanted in filters.items() if wanted and facet != "domain"]


def passing(keys: Iterable[int], filters: dict[str, list[str]]) -> set[int]:
    """The keys among ``keys`` that pass every non-domain filter."""
    active = _active(filters)
    return {key for key in keys if all(DIGITS[key][i] in ok for _, i, ok in active)}


def count_facets(by_domain: dict[str, int], by_key: dict[int, int],
                 filters: dict[str, list[str]]) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """``(total, facets)`` from the two marginals of the query's matches: ``by_domain``
    counts the matches passing every non-domain filter, ``by_key`` those passing the domain
    filter.

    A key failing no filter counts in ``total`` and in every facet; a key failing exactly one
    facet's filter counts only in that facet (disjunctive counts); others count nowhere.
    Counts are gathered per digit, then named."""
    active = _active(filters)
    total = 0
    digits = [[0] * radix for radix in _RADIX]
    for key, n in by_key.items():
        of = DIGITS[key]
        failing = [i for _, i, ok in active if of[i] not in ok]
        if not failing:
            total += n
            for i, digit in enumerate(of):
                digits[i][digit] += n
        elif len(failing) == 1:
            digits[failing[0]][of[failing[0]]] += n
    counts = {facet: Counter[str]() for facet in VOCABULARY}
    for i, facet in enumerate(VOCABULARY):
        for digit, n in enumerate(digits[i]):
            if n:
                names = modes_of(digit) if facet == "delivery_mode" \
                    else (VOCABULARY[facet][digit],)
                for name in names:
                    counts[facet][name] += n
    counts["domain"] = Counter({d: n for d, n in by_domain.items() if n})
    return total, {facet: _listing(facet, counts[facet], filters.get(facet, []))
                   for facet in FACETS}


def _listing(facet: str, counts: Counter[str], selected: list[str]) -> list[dict[str, Any]]:
    if facet in VOCABULARY:
        return [{"value": v, "count": counts.get(v, 0)} for v in VOCABULARY[facet]]
    ordered = sorted(set(counts) | set(selected), key=lambda v: (-counts.get(v, 0), v))
    return [{"value": v, "count": counts.get(v, 0)} for v in ordered]
