"""A search with a query, answered by one statement (issue 5 §3).

The query's matches (:func:`.matching.matched`) joined to their entries form a CTE ``m`` of
(doc_id, domain, facet_key, the sort's own column and, for one term, the rank), and two things
are read from it (UNION ALL, told apart by ``part``): the page — the sort keys of up to
``limit + 1`` matches passing every filter, after the cursor — and, in one row, the two
marginals the facet counts are summed from (:mod:`.marginals`, :func:`.facets.count_facets`):
the domains of the matches passing every non-domain filter, and the facet_keys of those
passing the domain filter. Filters apply to ``m``'s domain and facet_key digits
(:func:`.facets.key_condition`), which hold the same values as the entry's own columns.

``m`` is materialised, except for one term sorted by relevance: then the page walks the term's
postings in (weight, doc_id) order — the primary key — and stops at the page's last row, so
``m`` is read in full only once, by the marginals. Several terms' rank
(:func:`.matching.rank_of`) is looked up only where needed: for the matches passing the
filters when sorting by relevance (materialised as ``r``), else for the page's rows. Sort keys
are those of :mod:`.catalog`. The statement depends only on the search's shape and is compiled
once per shape (:mod:`.prepared`); terms, domains, cursor and limit are bound.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, literal_column, null, select, union_all
from sqlalchemy.engine import Dialect

from marketplace.listings.distribution import Marginals
from marketplace.listings.facets import key_condition
from marketplace.listings.indexed import ENTRIES as F
from marketplace.listings.marginals import decode, keys_text, strings_json
from marketplace.listings.matching import matched, rank_of
from marketplace.listings.models import ListingStats as S
from marketplace.listings.paging import after, order
from marketplace.listings.prepared import run

WIDTH = 3  # the most sort keys a sort has
_EXTRA = {"price_asc": F.c.price_from_fen, "price_desc": F.c.price_from_fen,
          "quality": F.c.quality_centi, "popularity": F.c.listing_id}
Page = list[tuple[int, int, list[int]]]  # (doc_id, rank, sort key values)
#: (terms, sort, filters: (facet, values or, for the domain, how many), cursor given)
Shape = tuple[int, str, tuple[tuple[str, Any], ...], bool]

#: per sort, its keys (a column of ``m``, or of ``listing_stats``) and whether descending
_KEYS: dict[str, list[tuple[Any, bool]]] = {
    "relevance": [("rank", True), ("doc_id", True)],
    "newest": [("doc_id", True)],
    "price_asc": [("price_from_fen", False), ("doc_id", False)],
    "price_desc": [("price_from_fen", True), ("doc_id", True)],
    "quality": [("quality_centi", True), ("doc_id", True)],
    "popularity": [(S.orders, True), (S.usage, True), ("doc_id", True)],
}


def width(sort: str) -> int:
    """How many sort keys (so cursor values) ``sort`` has."""
    return len(_KEYS[sort])


def search(terms: list[str], sort: str, filters: dict[str, list[str]],
           cursor: list[int] | None, limit: int) -> tuple[Page, Marginals]:
    """The page (in sort order) and the marginals of the entries holding every term."""
    domains = filters.get("domain") or []
    shape: Shape = (len(terms), sort, tuple(sorted(
        (facet, len(values) if facet == "domain" else tuple(sorted(set(values))))
        for facet, values in filters.items() if values)), cursor is not None)
    values = {"n": limit + 1, **{f"t{i}": term for i, term in enumerate(terms)},
              **{f"d{i}": domain for i, domain in enumerate(domains)},
              **{f"c{i}": value for i, value in enumerate(cursor or [])}}
    rows = run(("search", shape), lambda dialect: _statement(shape, dialect), values)
    return _read(rows, [desc for _, desc in _KEYS[sort]])


def _statement(shape: Shape, dialect: Dialect) -> Any:
    """The statement of a search of ``shape``: values are the binds ``t<i>`` (terms),
    ``d<i>`` (domains), ``c<i>`` (cursor) and ``n`` (rows wanted)."""
    n_terms, sort, filter_shape, has_cursor = shape
    terms: list[Any] = [bindparam(f"t{i}") for i in range(n_terms)]
    filters = {facet: [bindparam(f"d{i}") for i in range(spec)] if facet == "domain"
               else list(spec) for facet, spec in filter_shape}
    sub = matched(terms).subquery("matched")
    extra = [_EXTRA[sort]] if sort in _EXTRA else []
    ranked = [sub.c.rank] if n_terms == 1 else []
    walk = sort == "relevance" and n_terms == 1  # the page walks the postings' primary key
    m = (select(sub.c.doc_id, *ranked, F.c.domain, F.c.facet_key, *extra)
         .join_from(sub, F, F.c.doc_id == sub.c.doc_id).cte("m")
         .prefix_with("NOT MATERIALIZED" if walk else "MATERIALIZED"))

    def where(facets: Any) -> list[Any]:
        return [key_condition(facet, values, m.c.domain, m.c.facet_key)
                for facet, values in filters.items() if facets(facet)]

    source, filtered = m, where(lambda _: True)
    if sort == "relevance" and not ranked:  # rank every match that passes the filters
        source = (select(m.c.doc_id, rank_of(terms, m.c.doc_id).label("rank"))
                  .where(*filtered).cte("r").prefix_with("MATERIALIZED"))
        filtered = []
    keys = [(source.c[k] if isinstance(k, str) else k, desc) for k, desc in _KEYS[sort]]
    page = select(source.c.doc_id, *(k.label(f"k{i}") for i, (k, _) in enumerate(keys)))
    if "rank" in source.c:
        page = page.add_columns(source.c.rank)
    if sort == "popularity":
        page = page.join_from(source, S, S.listing_id == source.c.listing_id)
    if has_cursor:
        page = page.where(after(keys, [bindparam(f"c{i}") for i in range(len(keys))]))
    p = (page.where(*filtered).order_by(*order(keys))
         .limit(bindparam("n", type_=Integer)).subquery("page"))
    rank = p.c.rank if "rank" in p.c else rank_of(terms, p.c.doc_id)
    padded = [p.c[f"k{i}"] if i < len(keys) else null() for i in range(WIDTH)]
    return union_all(
        select(literal_column("0").label("part"), p.c.doc_id.label("a"), rank.label("b"),
               *(c.label(f"k{i}") for i, c in enumerate(padded)),
               null().label("keys"), null().label("domains")),
        select(literal_column("1"), null(), null(), *[null()] * WIDTH,
               keys_text(m.c.facet_key, where(lambda facet: facet == "domain"), dialect),
               strings_json(m.c.domain, where(lambda facet: facet != "domain"), dialect)))


def _read(rows: list[Any], descending: list[bool]) -> tuple[Page, Marginals]:
    """The page in sort order (UNION ALL keeps no order), and the decoded marginals."""
    page: Page = []
    marginals: Marginals = ({}, {})
    for part, a, b, *values, keys, domains in rows:
        if part == 0:
            page.append((a, b, values[:len(descending)]))
        else:
            marginals = decode(keys, domains)
    page.sort(key=lambda row: [-v if desc else v
                               for v, desc in zip(row[2], descending, strict=True)])
    return page, marginals
