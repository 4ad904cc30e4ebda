"""Declared affiliations of valuation agencies and the conflict-of-interest check (issue 5 §1).

An agency declares the organisations it is tied to (shareholding, common control, a service
contract, shared personnel…). Declarations are append-only and go to the ledger
(``valuation.affiliation.declared``); there is no withdrawal path, so an agency cannot clear a
conflict just before valuing. A valuation is refused (403) when the agency is the owner, when
it declared an affiliation with the owner, or when the assessor is personally a member of the
owner organisation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.accounts.common import commit_unique, get_by_id
from marketplace.accounts.models import Organization
from marketplace.accounts.organizations import get_organization
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, ValidationFailed
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger
from marketplace.valuations.models import Affiliation

DECLARED = "valuation.affiliation.declared"


def declare(principal: Principal | None, org_id: str, data: dict[str, Any]) -> Affiliation:
    """Record that agency ``org_id`` is affiliated with ``data['affiliated_org_id']``."""
    agency = get_organization(principal, org_id)
    p = authorize(principal, "valuation.affiliation.declare", agency)
    other = get_by_id(Organization, data["affiliated_org_id"])
    if other is None or other.id == agency.id:
        raise ValidationFailed(errors={"affiliated_org_id": [
            "Name another existing organisation."]})
    if db.session.scalar(select(Affiliation.id).where(
            Affiliation.agency_org_id == agency.id, Affiliation.affiliated_org_id == other.id)):
        raise Conflict("This affiliation is already declared.")
    row = Affiliation(id=new_id("afl"), agency_org_id=agency.id, affiliated_org_id=other.id,
                      relation=data["relation"], note=data["note"], declared_by=p.user_id,
                      declared_at=utcnow(), ledger_index=-1)
    row.ledger_index = ledger.record(DECLARED, row.id, p, agency.id, {
        "agency_org": agency.id, "affiliated_org": other.id, "relation": row.relation,
        "declared_at": row.declared_at.isoformat()})
    db.session.add(row)
    commit_unique("This affiliation is already declared.")
    return row


def listed(principal: Principal | None, org_id: str) -> list[Affiliation]:
    """An agency's declarations, oldest first (its members and operator staff)."""
    agency = get_organization(principal, org_id)
    authorize(principal, "valuation.affiliation.read", agency)
    return list(db.session.scalars(select(Affiliation).where(
        Affiliation.agency_org_id == agency.id).order_by(Affiliation.declared_at,
                                                        Affiliation.id)))


def conflicts(p: Principal, agency_org_id: str, owner_org_id: str) -> list[str]:
    """Why the agency (and this assessor) may not value an element of ``owner_org_id``."""
    reasons = []
    if agency_org_id == owner_org_id:
        reasons.append("The valuation agency is the element's owner.")
    if p.member_of(owner_org_id):
        reasons.append("You are a member of the element's owner organisation.")
    declared = db.session.scalar(select(Affiliation.relation).where(
        Affiliation.agency_org_id == agency_org_id,
        Affiliation.affiliated_org_id == owner_org_id))
    if declared is not None:
        reasons.append(f"Your agency declared an affiliation ({declared}) with the element's "
                       "owner.")
    return reasons
