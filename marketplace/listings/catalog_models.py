"""The catalog's search index (issue 5 §3): one :class:`CatalogEntry` per ``listed`` listing,
with its facet values denormalised, and its :class:`CatalogTerm` rows (an inverted index of
character bigrams/unigrams and word tokens, see :mod:`.text`). Written only when a listing is
published and removed when it is delisted (:mod:`.index`); the catalog reads nothing else
but plans and popularity.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.accounts.models import OrgKind
from marketplace.assets.models import Classification
from marketplace.db import UTCDateTime, db, enum_column


class CatalogEntry(db.Model):
    """``doc_id`` grows as listings enter the catalog: "newest" is ``doc_id`` descending."""

    __tablename__ = "catalog_entries"
    __table_args__ = (Index("ix_catalog_entries_domain_facet_key", "domain", "facet_key"),
                      # what a search reads of each match (see .matched): narrow, so a
                      # query's matches are looked up in a few pages, not one wide row each
                      Index("ix_catalog_entries_facets", "doc_id", "domain", "facet_key",
                            "price_from_fen", "quality_centi"),
                      Index("ix_catalog_entries_price", "price_from_fen", "doc_id"),
                      Index("ix_catalog_entries_quality", "quality_centi", "doc_id"),
                      {"sqlite_autoincrement": True})  # ids are never reused

    doc_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), unique=True)
    element_id: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[str] = mapped_column(String(24))
    merchant_name: Mapped[str] = mapped_column(String(200))
    merchant_kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(32))
    modes: Mapped[int] = mapped_column(SmallInteger)  # bit set of DELIVERY_MODE_BITS
    classification: Mapped[Classification] = mapped_column(enum_column(Classification))
    quality_centi: Mapped[int] = mapped_column(Integer)  # score × 100; -1: none
    quality_band: Mapped[str] = mapped_column(String(16))
    price_from_fen: Mapped[int] = mapped_column(BigInteger)
    price_band: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    facet_key: Mapped[int] = mapped_column(SmallInteger)  # see marketplace.listings.facets


class CatalogTerm(db.Model):
    """Postings ordered ``(term, weight, doc_id)``: a one-term query reads its best and newest
    matches first. ``weight`` is the heaviest field the term occurs in."""

    __tablename__ = "catalog_terms"
    __table_args__ = (Index("ix_catalog_terms_doc_id", "doc_id"),
                      # a term's postings in doc_id order, weight included: several terms
                      # are matched by merging these, and ranks looked up by (term, doc_id)
                      Index("ix_catalog_terms_term_doc", "term", "doc_id", "weight"),
                      {"sqlite_with_rowid": False})

    term: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    doc_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.doc_id"), primary_key=True)


class CatalogGeneration(db.Model):
    """One row (``id`` 1) whose ``value`` grows by one in every transaction that adds or removes
    catalog entries (:func:`.index.bump_generation`), so no two catalog states share a value:
    the key of the whole-catalog cache (:mod:`.distribution`). Absent until the first change."""

    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
