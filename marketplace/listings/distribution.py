"""The (domain, facet_key, count) distribution of a search's matches, which the facet counts
are summed from (issue 5 §3, :mod:`.facets`).

The whole catalog's distribution — asked for by every search without a query, and by a
one-term query every entry holds — is cached per process, keyed by (highest entry id, entry
count): entries are immutable while listed and their ids are never reused (SQLite
AUTOINCREMENT, PostgreSQL sequences), so every publish and delist changes the key.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.listings.catalog_models import CatalogEntry as E
from marketplace.listings.catalog_models import CatalogTerm as T
from marketplace.listings.text import query_terms


def _whole_catalog() -> list[tuple[str, int, int]]:
    """The (domain, facet_key, count) distribution of the whole catalog, cached per process
    and keyed by (highest entry id, entry count): entries are immutable and their ids never
    reused, so any publish or delist changes the key. Cached only if the key did not move
    while it was computed."""
    def key() -> tuple[int, int]:
        return tuple(db.session.execute(select(func.max(E.doc_id), func.count())).one())

    before = key()
    cached = current_app.extensions.get("elx.catalog.joint")
    if cached is not None and cached[0] == before:
        return cached[1]
    rows = [tuple(r) for r in db.session.execute(
        select(E.domain, E.facet_key, func.count()).group_by(E.domain, E.facet_key))]
    if key() == before:
        current_app.extensions["elx.catalog.joint"] = (before, rows)
    return rows


def distribution(matched: Any, q: str | None) -> Any:
    """The (domain, facet_key, count) rows of the matches; a one-term query held by every
    entry (a city's name, say) matches the whole catalog, whose distribution is cached."""
    if matched is None:
        return _whole_catalog()
    terms = query_terms(q or "")
    if len(terms) == 1:
        held = db.session.scalar(select(func.count()).where(T.term == terms[0]))
        if held == db.session.scalar(select(func.count()).select_from(E)):
            return _whole_catalog()
    return db.session.execute(select(E.domain, E.facet_key, func.count()).join(
        matched, matched.c.doc_id == E.doc_id).group_by(E.domain, E.facet_key))
