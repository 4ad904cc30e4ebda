"""``GET /catalog``: search, filter, sort and page the listed listings (issue 5 §3).

A query's terms (:func:`.text.query_terms`) must all be held by a listing (AND); relevance is
the sum, over the query terms, of the heaviest field each occurs in. Facet filters are OR
within a facet and AND across facets. Every sort ends with the catalog entry id in the same
direction as the sort's own key ("newest" is that id descending: entries are numbered as
listings enter the catalog), so keyset cursors (``[sort, key…]``, base64url JSON of integers)
are exact — paging visits every result once — and each sort can walk an index. Popularity is
``listing_stats`` only: orders, then usage. Two statements answer a search: the page, and
the (domain, facet_key) distribution of the matches (:mod:`.distribution`, :mod:`.facets`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.errors import ValidationFailed
from marketplace.http import decode_cursor, encode_cursor
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.catalog_models import CatalogTerm as T
from marketplace.listings.distribution import distribution
from marketplace.listings.facets import condition, count_facets
from marketplace.listings.models import ListingPlan as P
from marketplace.listings.models import ListingStats as S
from marketplace.listings.text import MAX_QUERY_TERMS, query_terms

SORTS = ("relevance", "newest", "price_asc", "price_desc", "quality", "popularity")
HIT_COLUMNS = (E.listing_id, E.element_id, E.version, E.title, E.summary, E.domain, E.org_id,
               E.merchant_name, E.merchant_kind, E.modes, E.classification, E.quality_centi,
               E.quality_band, E.price_from_fen, E.price_band, E.currency, E.listed_at)
PLAN_COLUMNS = (P.listing_id, P.id, P.kind, P.currency, P.price_fen, P.period, P.auto_renew,
                P.unit, P.unit_price_fen, P.included_quota)


@dataclass(frozen=True)
class Search:
    q: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    cursor: str | None = None
    limit: int = 20


def _matched(q: str | None) -> Any:
    """``(doc_id, rank)`` of the entries holding every query term; None without a query."""
    if q is None:
        return None
    terms = query_terms(q)
    if not terms:
        raise ValidationFailed(errors={"q": ["The query has no letters, digits or ideographs."]})
    if len(terms) > MAX_QUERY_TERMS:
        raise ValidationFailed(errors={"q": [f"At most {MAX_QUERY_TERMS} search terms."]})
    if len(terms) == 1:  # one posting range, already in (weight, doc_id) order
        return select(T.doc_id, T.weight.label("rank")).where(T.term == terms[0]).subquery()
    return (select(T.doc_id, func.sum(T.weight).label("rank")).where(T.term.in_(terms))
            .group_by(T.doc_id).having(func.count() == len(terms)).subquery("matched"))


def _keys(sort: str, matched: Any) -> list[tuple[Any, bool]]:
    """(expression, descending) per sort key. Relevance ties go by the posting's doc_id (the
    same number as the entry's), so a one-term search reads its posting range in order."""
    keys: dict[str, list[tuple[Any, bool]]] = {
        "relevance": [] if matched is None else [(matched.c.rank, True),
                                                 (matched.c.doc_id, True)],
        "newest": [(E.doc_id, True)],
        "price_asc": [(E.price_from_fen, False), (E.doc_id, False)],
        "price_desc": [(E.price_from_fen, True), (E.doc_id, True)],
        "quality": [(E.quality_centi, True), (E.doc_id, True)],
        "popularity": [(S.orders, True), (S.usage, True), (E.doc_id, True)],
    }
    return keys[sort]


def _after(keys: list[tuple[Any, bool]], values: list[int]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order ``keys`` define."""
    options = []
    for i, (expr, desc) in enumerate(keys):
        equal = [k == v for (k, _), v in zip(keys[:i], values, strict=False)]
        options.append(and_(*equal, expr < values[i] if desc else expr > values[i]))
    return or_(*options)


def _decode(cursor: str, sort: str, width: int) -> list[int]:
    invalid = ValidationFailed(errors={"cursor": ["Invalid cursor for this search."]})
    try:
        data = json.loads(decode_cursor(cursor) or "")
    except ValueError:
        raise invalid from None
    if not (isinstance(data, list) and len(data) == width + 1 and data[0] == sort
            and all(type(v) is int for v in data[1:])):
        raise invalid
    return data[1:]


def browse(principal: Principal | None, s: Search) -> dict[str, Any]:
    """The catalog is public: anonymous callers browse it; credentials, when sent, must be
    valid (the view resolves them) and allow ``catalog.read``."""
    if principal is not None:
        authorize(principal, "catalog.read")
    return search(s)


def search(s: Search) -> dict[str, Any]:
    """One page of hits (rows, popularity, plans), the next cursor, the total and the facet
    counts."""
    matched = _matched(s.q)
    rank = matched.c.rank if matched is not None else literal_column("0")
    sort = "newest" if s.sort == "relevance" and matched is None else s.sort
    keys = _keys(sort, matched)
    query = select(*HIT_COLUMNS, rank.label("rank"), *(k for k, _ in keys))
    if sort == "popularity":
        query = query.join(S, S.listing_id == E.listing_id)
    if matched is not None:
        query = query.join(matched, matched.c.doc_id == E.doc_id)
    query = query.where(*(condition(name, values) for name, values in s.filters.items()
                          if values))
    if s.cursor:
        query = query.where(_after(keys, _decode(s.cursor, sort, len(keys))))
    query = query.order_by(*(k.desc() if desc else k.asc() for k, desc in keys))
    rows = db.session.execute(query.limit(s.limit + 1)).all()
    more, rows = len(rows) > s.limit, rows[:s.limit]
    ids = [r.listing_id for r in rows]
    plans: dict[str, list[Any]] = {}
    for plan in db.session.execute(select(*PLAN_COLUMNS).where(P.listing_id.in_(ids))
                                   .order_by(P.position)):
        plans.setdefault(plan.listing_id, []).append(plan)
    popularity = {r.listing_id: (r.orders, r.usage) for r in db.session.execute(
        select(S.listing_id, S.orders, S.usage).where(S.listing_id.in_(ids)))}
    total, facets = count_facets(distribution(matched, s.q), s.filters)
    cursor = None
    if more and rows:
        last = list(rows[-1][-len(keys):])
        cursor = encode_cursor(json.dumps([sort, *last], separators=(",", ":")))
    hits = [(row, popularity[row.listing_id], plans.get(row.listing_id, [])) for row in rows]
    return {"hits": hits, "next_cursor": cursor, "total": total, "facets": facets}
