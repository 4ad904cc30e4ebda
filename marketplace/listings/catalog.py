"""``GET /catalog``: search, filter, sort and page the listed listings (issue 5 §3).

A query's terms (:func:`.text.query_terms`) must all be held by a listing (AND); relevance is
the sum, over the query terms, of the heaviest field each occurs in. Facet filters are OR
within a facet and AND across facets. Every sort ends with the catalog entry id in the same
direction as the sort's own key ("newest" is that id descending: entries are numbered as
listings enter the catalog), so keyset cursors (``[sort, key…]``, base64url JSON of integers)
are exact — paging visits every result once — and each sort can walk an index. Popularity is
``listing_stats`` only: orders, then usage.

A search over the whole catalog (no query, or a one-term query every entry holds) pages with
one statement over the entries, walking an index, and sums its facet counts from the cached
whole-catalog distribution (:mod:`.distribution`). A search with a query computes its
matches once, in one statement that returns the page and the facet marginals
(:mod:`.matching`, :mod:`.matched`); the page's rows are then read by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import literal_column, select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.listings import matched, paging
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.catalog_models import CatalogTerm as T
from marketplace.listings.distribution import whole_catalog
from marketplace.listings.facets import condition, count_facets
from marketplace.listings.matching import held_and_entries, terms_of
from marketplace.listings.models import ListingPlan as P
from marketplace.listings.models import ListingStats as S
from marketplace.listings.paging import Keys

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


def _keys(sort: str, matched: Any) -> Keys:
    """(expression, descending) per sort key. Relevance ties go by the posting's doc_id (the
    same number as the entry's), so a one-term search reads its posting range in order."""
    keys: dict[str, Keys] = {
        "relevance": [] if matched is None else [(matched.c.rank, True),
                                                 (matched.c.doc_id, True)],
        "newest": [(E.doc_id, True)],
        "price_asc": [(E.price_from_fen, False), (E.doc_id, False)],
        "price_desc": [(E.price_from_fen, True), (E.doc_id, True)],
        "quality": [(E.quality_centi, True), (E.doc_id, True)],
        "popularity": [(S.orders, True), (S.usage, True), (E.doc_id, True)],
    }
    return keys[sort]


def browse(principal: Principal | None, s: Search) -> dict[str, Any]:
    """The catalog is public: anonymous callers browse it; credentials, when sent, must be
    valid (the view resolves them) and allow ``catalog.read``."""
    if principal is not None:
        authorize(principal, "catalog.read")
    return search(s)


def search(s: Search) -> dict[str, Any]:
    """One page of hits (rows, popularity, plans), the next cursor, the total and the facet
    counts."""
    terms = terms_of(s.q) if s.q is not None else []
    if not terms:
        return _whole_catalog(s, terms)
    if len(terms) == 1:
        held, entries = held_and_entries(terms[0])
        if held == entries:  # a city's name, say: the whole catalog matches
            return _whole_catalog(s, terms)
    sort = s.sort
    cursor = paging.decode(s.cursor, sort, matched.width(sort)) if s.cursor else None
    page, (by_domain, by_key) = matched.search(terms, sort, s.filters, cursor, s.limit)
    more, page = len(page) > s.limit, page[:s.limit]
    found = {r.doc_id: r for r in db.session.execute(
        select(*HIT_COLUMNS, E.doc_id).where(E.doc_id.in_([doc for doc, _, _ in page])))}
    rows = [SimpleNamespace(**found[doc]._mapping, rank=rank) for doc, rank, _ in page]
    total, facets = count_facets(by_domain, by_key, s.filters)
    next_cursor = paging.encode(sort, page[-1][2]) if more and page else None
    return {"hits": _hits(rows), "next_cursor": next_cursor, "total": total, "facets": facets}


def _whole_catalog(s: Search, terms: list[str]) -> dict[str, Any]:
    """A search whose matches are every entry: one indexed walk for the page; the counts
    from the cached whole-catalog distribution."""
    postings = (select(T.doc_id, T.weight.label("rank")).where(T.term == terms[0]).subquery()
                if terms else None)
    rank = postings.c.rank if postings is not None else literal_column("0")
    sort = "newest" if s.sort == "relevance" and postings is None else s.sort
    keys = _keys(sort, postings)
    query = select(*HIT_COLUMNS, rank.label("rank"), *(k for k, _ in keys))
    if sort == "popularity":
        query = query.join(S, S.listing_id == E.listing_id)
    if postings is not None:
        query = query.join(postings, postings.c.doc_id == E.doc_id)
    query = query.where(*(condition(name, values) for name, values in s.filters.items()
                          if values))
    if s.cursor:
        query = query.where(paging.after(keys, paging.decode(s.cursor, sort, len(keys))))
    rows = db.session.execute(query.order_by(*paging.order(keys)).limit(s.limit + 1)).all()
    more, rows = len(rows) > s.limit, rows[:s.limit]
    total, facets = count_facets(*whole_catalog().marginals(s.filters), s.filters)
    cursor = paging.encode(sort, list(rows[-1][-len(keys):])) if more and rows else None
    return {"hits": _hits(rows), "next_cursor": cursor, "total": total, "facets": facets}


def _hits(rows: Sequence[Any]) -> list[tuple[Any, tuple[int, int], list[Any]]]:
    """Each row with its popularity (orders, usage) and its plans."""
    ids = [r.listing_id for r in rows]
    plans: dict[str, list[Any]] = {}
    for plan in db.session.execute(select(*PLAN_COLUMNS).where(P.listing_id.in_(ids))
                                   .order_by(P.position)):
        plans.setdefault(plan.listing_id, []).append(plan)
    popularity = {r.listing_id: (r.orders, r.usage) for r in db.session.execute(
        select(S.listing_id, S.orders, S.usage).where(S.listing_id.in_(ids)))}
    return [(row, popularity[row.listing_id], plans.get(row.listing_id, [])) for row in rows]
