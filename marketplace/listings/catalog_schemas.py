"""``GET /catalog`` arguments in and results out (issue 5 §3).

Facet filters may repeat (``domain=交通&domain=企业``); every other argument appears at most
once. Unknown arguments are 422 like everywhere else.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from marketplace.fields import Text
from marketplace.listings.catalog import SORTS
from marketplace.listings.facets import FACETS, VOCABULARY, modes_of
from marketplace.listings.schemas import plan_out

MAX_VALUES = 20


def _facet(name: str) -> fields.List:
    values = VOCABULARY.get(name)
    item = Text(validate=validate.OneOf(values) if values else validate.Length(min=1, max=32))
    return fields.List(item, load_default=list, validate=validate.Length(max=MAX_VALUES))


class CatalogArgs(Schema):
    q = Text(load_default=None, validate=validate.Length(min=1, max=200))
    sort = Text(load_default="relevance", validate=validate.OneOf(SORTS))
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))
    domain = _facet("domain")
    merchant_kind = _facet("merchant_kind")
    delivery_mode = _facet("delivery_mode")
    price_band = _facet("price_band")
    quality_band = _facet("quality_band")
    classification = _facet("classification")

    @pre_load
    def _single_values(self, data: dict[str, list[str]], **_: Any) -> dict[str, Any]:
        """Query strings arrive as name → every value given."""
        out: dict[str, Any] = {}
        for name, values in data.items():
            if name in FACETS:
                out[name] = values
            elif len(values) != 1:
                raise ValidationError({name: ["Give this argument once."]})
            else:
                out[name] = values[0]
        return out


def hit_out(row: Any, popularity: tuple[int, int], plans: list[Any]) -> dict[str, Any]:
    """One search hit: a catalog row (see ``catalog.HIT_COLUMNS``), (orders, usage) and its
    plans."""
    score = None if row.quality_centi < 0 else row.quality_centi / 100
    return {
        "listing_id": row.listing_id, "element_id": row.element_id, "version": row.version,
        "title": row.title, "summary": row.summary, "domain": row.domain,
        "merchant": {"org_id": row.org_id, "name": row.merchant_name,
                     "kind": row.merchant_kind.value},
        "delivery_modes": modes_of(row.modes), "classification": row.classification.value,
        "quality_score": score, "quality_band": row.quality_band,
        "price_from_fen": row.price_from_fen, "price_band": row.price_band,
        "currency": row.currency, "plans": [plan_out(p) for p in plans],
        "popularity": {"orders": popularity[0], "usage": popularity[1]},
        "listed_at": row.listed_at.isoformat(), "relevance": row.rank,
    }
