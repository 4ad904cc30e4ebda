"""Keeping the catalog index in step with the workflow (issue 5 §3): a listing's entry and
terms are written in the transaction that lists it and deleted in the one that delists it.

Searchable fields and weights (:data:`.text.WEIGHTS`): title; domain; the merchant's name;
and, as body text, the summary, the element's description and every output column's name and
description. Facet values are copied in: merchant kind, delivery modes, price band, the
version's quality score band and the strictest classification among its input assets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.accounts.models import Organization
from marketplace.assets.models import Asset, AssetVersion, Classification
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.listings import pricing
from marketplace.listings.catalog_models import CatalogEntry, CatalogGeneration, CatalogTerm
from marketplace.listings.facets import facet_key, mode_bits
from marketplace.listings.models import Listing
from marketplace.listings.text import document_terms

CLASSIFICATION_ORDER = (Classification.general, Classification.important, Classification.core)


def search_fields(title: str, summary: str, domain: str, merchant: str, description: str,
                  columns: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The ``(field, text)`` pairs a listing is found by."""
    body = [summary, description, *(f"{c.get('name', '')} {c.get('description', '')}"
                                    for c in columns)]
    return [("title", title), ("domain", domain), ("merchant", merchant),
            *(("body", text) for text in body)]


def classification_of(version: ElementVersion) -> Classification:
    """The strictest classification among the assets the version was built from."""
    ids = [item["version_id"] for item in version.inputs]
    found = set(db.session.scalars(select(Asset.classification).join(
        AssetVersion, AssetVersion.asset_id == Asset.id).where(AssetVersion.id.in_(ids))))
    return max(found or {Classification.general}, key=CLASSIFICATION_ORDER.index)


def bump_generation() -> None:
    """Advance the catalog generation in the current transaction (an upsert: the row exists
    after the migration, not necessarily in a schema made by ``create_all``). On PostgreSQL the
    row lock also orders catalog changes, so a generation is never seen before its entries."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = CatalogGeneration.__table__
    stmt = dialect.insert(table).values(id=1, value=1)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.id], set_={"value": table.c.value + 1}))


def add(listing: Listing) -> CatalogEntry:
    """Index a listing that has just become ``listed``. No commit."""
    element = db.session.get(Element, listing.element_id)
    version = db.session.get(ElementVersion, listing.element_version_id)
    org = db.session.get(Organization, listing.org_id)
    assert element is not None and version is not None and org is not None
    quality = pricing.quality_centi((version.quality or {}).get("score"))
    bands = (pricing.price_band(listing.price_from_fen), pricing.quality_band(quality))
    classification = classification_of(version)
    entry = CatalogEntry(
        listing_id=listing.id, element_id=listing.element_id, version=listing.version,
        org_id=org.id, merchant_name=org.name, merchant_kind=org.kind, title=listing.title,
        summary=listing.summary, domain=listing.domain,
        modes=mode_bits(listing.delivery_modes), classification=classification,
        quality_centi=quality, quality_band=bands[1], price_from_fen=listing.price_from_fen,
        price_band=bands[0], currency=listing.currency, listed_at=listing.listed_at,
        facet_key=facet_key(org.kind.value, listing.delivery_modes, *bands,
                            classification.value))
    db.session.add(entry)
    db.session.flush()
    bump_generation()
    terms = document_terms(search_fields(listing.title, listing.summary, listing.domain,
                                          org.name, element.description, version.schema))
    if terms:
        db.session.execute(insert(CatalogTerm), [
            {"term": term, "doc_id": entry.doc_id, "weight": weight}
            for term, weight in terms.items()])
    return entry


def remove(listing_id: str) -> None:
    """Drop a delisted listing from the catalog. No commit."""
    doc_id = db.session.scalar(select(CatalogEntry.doc_id).where(
        CatalogEntry.listing_id == listing_id))
    if doc_id is not None:
        db.session.execute(delete(CatalogTerm).where(CatalogTerm.doc_id == doc_id))
        db.session.execute(delete(CatalogEntry).where(CatalogEntry.doc_id == doc_id))
        bump_generation()


def is_listed(element_id: str) -> bool:
    """Whether any listing of the element is in the catalog now."""
    return db.session.scalar(select(CatalogEntry.doc_id).where(
        CatalogEntry.element_id == element_id).limit(1)) is not None
