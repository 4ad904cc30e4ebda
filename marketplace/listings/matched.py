"""A search with a query, answered by one statement (issue 5 §3).

The query's matches (:func:`.matching.matched`) are computed once, as a materialised CTE ``m``
of (doc_id, domain, facet_key, the sort's own column and, for one term, the rank), and three
things are read from it (UNION ALL, told apart by ``part``): the page — the sort keys of up to
``limit + 1`` matches passing every filter, after the cursor — and the two marginals the facet
counts are summed from (:func:`.facets.count_facets`): matches per domain passing every
non-domain filter, and matches per facet_key passing the domain filter. Filters apply to
``m``'s domain and facet_key digits (:func:`.facets.key_condition`), which hold the same
values as the entry's own columns. Several terms' rank (:func:`.matching.rank_of`) is looked
up only where needed: for the matches passing the filters when sorting by relevance
(materialised as ``r``), else for the page's rows. Sort keys are those of :mod:`.catalog`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, null, select, union_all

from marketplace.db import db
from marketplace.listings.distribution import Marginals
from marketplace.listings.facets import key_condition
from marketplace.listings.indexed import ENTRIES as F
from marketplace.listings.matching import matched, rank_of
from marketplace.listings.models import ListingStats as S
from marketplace.listings.paging import Keys, after, order

WIDTH = 3  # the most sort keys a sort has
_EXTRA = {"price_asc": F.c.price_from_fen, "price_desc": F.c.price_from_fen,
          "quality": F.c.quality_centi, "popularity": F.c.listing_id}
Page = list[tuple[int, int, list[int]]]  # (doc_id, rank, sort key values)

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
    sub = matched(terms).subquery("matched")
    extra = [_EXTRA[sort]] if sort in _EXTRA else []
    ranked = [sub.c.rank] if len(terms) == 1 else []
    m = (select(sub.c.doc_id, *ranked, F.c.domain, F.c.facet_key, *extra)
         .join_from(sub, F, F.c.doc_id == sub.c.doc_id).cte("m").prefix_with("MATERIALIZED"))

    def where(facets: Any) -> list[Any]:
        return [key_condition(facet, values, m.c.domain, m.c.facet_key)
                for facet, values in filters.items() if values and facets(facet)]

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
    page = page.where(*filtered, *([after(keys, cursor)] if cursor is not None else []))
    p = page.order_by(*order(keys)).limit(limit + 1).subquery("page")
    rank = p.c.rank if "rank" in p.c else rank_of(terms, p.c.doc_id)
    padded = [p.c[f"k{i}"] if i < len(keys) else null() for i in range(WIDTH)]
    blank = [null()] * WIDTH
    statement = union_all(
        select(literal(0).label("part"), null().label("domain"), p.c.doc_id.label("a"),
               rank.label("b"), *(c.label(f"k{i}") for i, c in enumerate(padded))),
        select(literal(1), m.c.domain, func.count(), null(), *blank)
        .where(*where(lambda facet: facet != "domain")).group_by(m.c.domain),
        select(literal(2), null(), m.c.facet_key, func.count(), *blank)
        .where(*where(lambda facet: facet == "domain")).group_by(m.c.facet_key))
    return _read(statement, keys)


def _read(statement: Any, keys: Keys) -> tuple[Page, Marginals]:
    rows: Page = []
    by_domain: dict[str, int] = {}
    by_key: dict[int, int] = {}
    for part, domain, a, b, *values in db.session.execute(statement):
        if part == 0:
            rows.append((a, b, values[:len(keys)]))
        elif part == 1:
            by_domain[domain] = a
        else:
            by_key[a] = b
    rows.sort(key=lambda row: [-v if desc else v for v, (_, desc) in zip(row[2], keys,
                                                                          strict=True)])
    return rows, (by_domain, by_key)
