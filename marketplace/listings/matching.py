"""Which catalog entries a query matches, and with what relevance (issue 5 §3).

A query's terms (:func:`.text.query_terms`) must all be held by an entry (AND); its rank is
the sum of the weights of its postings of those terms. Several terms are matched by merging
their posting lists, each read in doc_id order from ``ix_catalog_terms_term_doc``
(``INTERSECT … ORDER BY doc_id``, which SQLite runs as a merge), so matching costs the sum of
the terms' posting counts in sequential index reads; ranks are then looked up by (term,
doc_id) only for the entries that need one (:mod:`.matched`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, intersect, select

from marketplace.errors import ValidationFailed
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.catalog_models import CatalogTerm as T
from marketplace.listings.indexed import postings
from marketplace.listings.prepared import run
from marketplace.listings.text import MAX_QUERY_TERMS, query_terms

#: a LIMIT no catalog reaches: it keeps the ORDER BY of the intersection (so SQLite merges)
NO_LIMIT = 1 << 62


def terms_of(q: str) -> list[str]:
    """The query's terms; 422 if it has none or too many."""
    terms = query_terms(q)
    if not terms:
        raise ValidationFailed(errors={"q": ["The query has no letters, digits or ideographs."]})
    if len(terms) > MAX_QUERY_TERMS:
        raise ValidationFailed(errors={"q": [f"At most {MAX_QUERY_TERMS} search terms."]})
    return terms


def held_and_entries(term: str) -> tuple[int, int]:
    """How many entries hold ``term``, and how many there are: when every entry holds it (a
    city's name, say) the matches are the whole catalog, whose facet counts are cached
    (:mod:`.distribution`)."""
    held, entries = run("held_and_entries", lambda _: select(
        select(func.count()).where(T.term == bindparam("t0")).scalar_subquery(),
        select(func.count()).select_from(E).scalar_subquery()), {"t0": term})[0]
    return held, entries


def matched(terms: Sequence[Any]) -> Any:
    """``doc_id`` (and, for one term, ``rank``) of the entries holding every term (each a
    string, or a bound parameter: :mod:`.matched`)."""
    if len(terms) == 1:
        return select(T.doc_id, T.weight.label("rank")).where(T.term == terms[0])
    arms = []
    for n, term in enumerate(terms):
        p = postings(f"p{n}")
        arms.append(select(p.c.doc_id).where(p.c.term == term))
    return intersect(*arms).order_by("doc_id").limit(NO_LIMIT)


def rank_of(terms: Sequence[Any], doc_id: Any) -> Any:
    """The rank of the entry ``doc_id`` (which holds every term): its terms' weights."""
    total: Any = None
    for n, term in enumerate(terms):
        p = postings(f"w{n}")
        weight = select(p.c.weight).where(p.c.term == term, p.c.doc_id == doc_id)
        total = weight.scalar_subquery() if total is None else total + weight.scalar_subquery()
    return total
