"""Reads the web console needs beyond the API's (issue 8 §4): an agency's valuations, one
valuation by id, and what an assessor sees before valuing an element.

Each function authorises first, like :mod:`.services`: ``valuation.list`` (assessors of an
approved agency see their agencies' valuations; operator staff see all), ``valuation.read`` on
one record (hidden from everyone else), ``valuation.create`` for the agencies an assessor may
act for. The element facts shown before valuing are exactly those the record will contain.

:func:`public_range` is the one public read (issue 8 §1, the element page's "valuation range"):
for an element in the catalog, the aggregate of the valuations of its listed versions — lowest
low, highest high, how many, which methods, the latest date — and nothing that names an agency
or shows a record's inputs (those stay behind ``valuation.read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from marketplace.accounts.common import get_by_id
from marketplace.accounts.models import Role
from marketplace.accounts.organizations import names as organization_names
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import Forbidden, NotFound
from marketplace.listings.models import Listing, ListingState
from marketplace.valuations import inputs
from marketplace.valuations.models import Valuation
from marketplace.valuations.services import ValuationScope

LIMIT = 200


@dataclass(frozen=True)
class Subject:
    """An element version about to be valued, and the agencies the assessor may act for."""

    element_id: str
    version: int
    facts: inputs.Facts
    agencies: tuple[tuple[str, str], ...]  # (org id, name)


@dataclass(frozen=True)
class PublicRange:
    """What every visitor may know of an element's valuations (no agency, no inputs)."""

    currency: str
    low_fen: int  # the lowest low
    high_fen: int  # the highest high
    count: int
    methods: tuple[str, ...]  # sorted, each once
    latest: date  # the newest valuation date


def for_agencies(principal: Principal | None, limit: int = LIMIT) -> list[Valuation]:
    """Newest first: the caller's agencies' valuations (operator staff: every valuation)."""
    p = authorize(principal, "valuation.list")
    query = select(Valuation).order_by(Valuation.created_at.desc(), Valuation.id).limit(limit)
    if not p.is_operator_staff():
        query = query.where(Valuation.agency_org_id.in_(p.approved_orgs(Role.assessor)))
    return list(db.session.scalars(query))


def get(principal: Principal | None, valuation_id: str) -> Valuation:
    """One valuation: the element's owner, operator staff and the valuing agency (else 404)."""
    p = authorize(principal, "element.lookup")
    row = get_by_id(Valuation, valuation_id)
    if row is None:
        raise NotFound("No such resource.")
    element = db.session.get(Element, row.element_id)
    assert element is not None
    authorize(p, "valuation.read", ValuationScope(element.owner_org_id,
                                                  frozenset({row.agency_org_id})))
    return row


def agencies(principal: Principal | None) -> tuple[tuple[str, str], ...]:
    """The approved valuation agencies the caller may record valuations for (403 if none)."""
    p = authorize(principal, "element.lookup")
    mine = p.approved_orgs(Role.assessor)
    if not mine:
        raise Forbidden("Only assessors of an approved valuation agency record valuations.")
    for org_id in mine:
        authorize(p, "valuation.create", org_id)
    names = organization_names(set(mine))
    return tuple((org_id, names.get(org_id, org_id)) for org_id in mine)


def subject(principal: Principal | None, element_id: str) -> Subject:
    """The element's latest version and its facts, for an assessor about to value it."""
    acting = agencies(principal)
    element = get_by_id(Element, element_id)
    if element is None:
        raise NotFound("No such element.")
    version = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id,
        ElementVersion.version == element.latest_version))
    if version is None:
        raise NotFound("The element has no published version.")
    return Subject(element.id, version.version, inputs.facts_of(version), acting)



def public_range(element_id: str) -> PublicRange | None:
    """The aggregate valuation range of a *listed* element's listed versions; None when the
    element is not in the catalog or those versions have no valuation. Valuations in another
    currency than the newest one's are left out (the API records CNY only)."""
    versions = select(Listing.element_version_id).where(
        Listing.element_id == element_id, Listing.state == ListingState.listed)
    rows = list(db.session.scalars(select(Valuation).where(
        Valuation.element_version_id.in_(versions)).order_by(Valuation.version.desc())))
    if not rows:
        return None
    same = [r for r in rows if r.currency == rows[0].currency]
    return PublicRange(rows[0].currency, min(r.low_fen for r in same),
                       max(r.high_fen for r in same), len(same),
                       tuple(sorted({m for r in same for m in r.methods})),
                       max(r.valuation_date for r in same))
