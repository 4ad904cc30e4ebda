"""Catalog tables read through a named covering index (issue 5 §3, catalog performance).

SQLite's planner would rather look rows up by rowid or primary key than through a narrower
covering index, and would probe a term's postings through ``ix_catalog_terms_doc_id`` (one
leaf page per document) rather than ``ix_catalog_terms_term_doc`` (a term's postings in doc
order, a few pages). These aliases render ``INDEXED BY`` on SQLite only; elsewhere they are
plain aliases and the planner chooses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias

from marketplace.listings.catalog_models import CatalogEntry, CatalogTerm

INDEX = {"catalog_entries": "ix_catalog_entries_facets",
         "catalog_terms": "ix_catalog_terms_term_doc"}


class Indexed(Alias):
    """An alias of a catalog table, read through its :data:`INDEX` on SQLite."""

    inherit_cache = True


@compiles(Indexed)
def _indexed(element: Indexed, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.visit_alias(element, **kw)
    if kw.get("asfrom") and compiler.dialect.name == "sqlite":
        text += f" INDEXED BY {INDEX[element.element.name]}"  # type: ignore[attr-defined]
    return text


def postings(name: str) -> Any:
    """``catalog_terms AS name`` read by (term, doc_id)."""
    return Indexed._construct(CatalogTerm.__table__, name=name)


ENTRIES = Indexed._construct(CatalogEntry.__table__, name="f")
