"""Valuation services (issue 5 §1): record one, list them, the latest range for listings.

``record`` authorises first (an assessor of an approved valuation agency), then refuses
conflicts of interest (403, :func:`.affiliations.conflicts`), computes the requested methods
and their reconciliation, and in ONE transaction stores the immutable record — a new
per-element ``version`` whose canonical JSON (RFC 8785) is hashed — and its
``valuation.recorded`` ledger entry. There is no update path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ledger.canonical import dumps_canonical
from marketplace.accounts.common import commit_unique, get_by_id
from marketplace.accounts.models import Role
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger
from marketplace.valuations import inputs, reconcile
from marketplace.valuations.affiliations import conflicts
from marketplace.valuations.deals import record_settled_deal
from marketplace.valuations.models import Valuation

__all__ = ["latest_range", "list_for_element", "record", "record_settled_deal"]

RECORDED = "valuation.recorded"
FORMAT = "elx-valuation/v1"


@dataclass(frozen=True)
class ValuationScope:
    """What ``valuation.read`` decides on: the owner and the agencies that valued it."""

    owner_org_id: str
    agency_org_ids: frozenset[str]


def _acting_agency(p: Principal, requested: str | None) -> str:
    if requested is not None:
        return requested
    orgs = p.approved_orgs(Role.assessor)
    if not orgs:
        raise Forbidden("Only assessors of an approved valuation agency record valuations.")
    if len(orgs) > 1:
        raise ValidationFailed(errors={"agency_org_id": [
            "Required: you act for several valuation agencies."]})
    return orgs[0]


def _version(element: Element, number: int | None) -> ElementVersion:
    row = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id,
        ElementVersion.version == (number or element.latest_version)))
    if row is None:
        raise ValidationFailed(errors={"element_version": ["The element has no such version."]})
    return row


def _reconciliation(data: dict[str, Any] | None) -> reconcile.Reconciliation | None:
    return None if data is None else reconcile.Reconciliation(data["weights"], data["rationale"])


def record(principal: Principal | None, element_id: str, data: dict[str, Any]) -> Valuation:
    """Compute and store one valuation of an element version (201)."""
    p = authorize(principal, "element.lookup")
    agency = _acting_agency(p, data["agency_org_id"])
    authorize(p, "valuation.create", agency)
    element = get_by_id(Element, element_id)
    if element is None:
        raise NotFound("No such element.")
    if reasons := conflicts(p, agency, element.owner_org_id):
        raise Forbidden("Conflict of interest: " + " ".join(reasons), conflicts=reasons)
    version = _version(element, data["element_version"])
    day = data["valuation_date"] or utcnow().date()
    if day > utcnow().date() or day < version.created_at.date():
        raise ValidationFailed(errors={"valuation_date": [
            "Between the element version's creation and today."]})
    facts = inputs.facts_of(version)
    results = inputs.run(data["methods"], facts, day, data["currency"])
    try:
        outcome = reconcile.reconcile(results, _reconciliation(data["reconciliation"]))
    except reconcile.ReconciliationError as exc:
        raise ValidationFailed(errors={"reconciliation": {exc.field: [str(exc)]}}) from exc
    db.session.get(Element, element.id, with_for_update=True)  # serialise version numbers
    number = 1 + (db.session.scalar(select(func.max(Valuation.version)).where(
        Valuation.element_id == element.id)) or 0)
    now = utcnow()
    row = Valuation(id=new_id("val"), element_id=element.id, element_version_id=version.id,
                    version=number, agency_org_id=agency, assessor_user_id=p.user_id,
                    currency=data["currency"], valuation_date=day,
                    methods=[r.method for r in results], value_fen=outcome.value_fen,
                    low_fen=outcome.low_fen, high_fen=outcome.high_fen, created_at=now,
                    record={}, record_sha256="", ledger_index=-1)
    row.record = _document(row, version, facts, data, results, outcome)
    row.record_sha256 = hashlib.sha256(dumps_canonical(row.record)).hexdigest()
    row.ledger_index = ledger.record(RECORDED, row.id, p, agency, {
        "valuation_id": row.id, "element_id": element.id, "element_version_id": version.id,
        "version": number, "agency_org": agency, "methods": row.methods,
        "currency": row.currency, "value_fen": row.value_fen, "low_fen": row.low_fen,
        "high_fen": row.high_fen, "valuation_date": day.isoformat(),
        "record_sha256": row.record_sha256})
    db.session.add(row)
    commit_unique("Another valuation of this element was recorded at the same time; retry.")
    return row


def _document(row: Valuation, version: ElementVersion, facts: inputs.Facts,
              data: dict[str, Any], results: list[Any],
              outcome: reconcile.Outcome) -> dict[str, Any]:
    """The canonical record: every input, the server's facts and every result."""
    return inputs.plain({
        "format": FORMAT, "valuation_id": row.id, "version": row.version,
        "element_id": row.element_id, "element_version_id": version.id,
        "element_version": version.version, "agency_org_id": row.agency_org_id,
        "assessor_user_id": row.assessor_user_id, "currency": row.currency,
        "valuation_date": row.valuation_date, "recorded_at": row.created_at.isoformat(),
        "facts": {"quality_score": facts.quality_score, "rows": facts.rows,
                  "domain": facts.domain},
        "inputs": {k: v for k, v in data["methods"].items() if v is not None},
        "methods": {r.method: {"value_fen": r.value_fen, "low_fen": r.low_fen,
                               "high_fen": r.high_fen, "workings": r.workings,
                               "sensitivity": [vars(s) for s in r.sensitivity]}
                    for r in results},
        "reconciliation": data["reconciliation"],
        "result": {"value_fen": outcome.value_fen, "low_fen": outcome.low_fen,
                   "high_fen": outcome.high_fen,
                   "sensitivity": [vars(s) for s in outcome.sensitivity]},
    })


def list_for_element(principal: Principal | None, element_id: str) -> list[Valuation]:
    """Owner organisation and operator staff: every valuation; an agency: its own."""
    p = authorize(principal, "element.lookup")
    element = get_by_id(Element, element_id)
    if element is None:
        raise NotFound("No such resource.")
    rows = list(db.session.scalars(select(Valuation).where(
        Valuation.element_id == element.id).order_by(Valuation.version)))
    authorize(p, "valuation.read", ValuationScope(
        element.owner_org_id, frozenset(r.agency_org_id for r in rows)))
    if p.member_of(element.owner_org_id) or p.is_operator_staff():
        return rows
    return [r for r in rows if p.member_of(r.agency_org_id)]


def latest_range(element_version_id: str) -> tuple[int, int] | None:
    """(low, high) in fen of the newest valuation of that element version, None if none."""
    found = db.session.execute(
        select(Valuation.low_fen, Valuation.high_fen)
        .where(Valuation.element_version_id == element_version_id)
        .order_by(Valuation.version.desc()).limit(1)).first()
    return None if found is None else (found[0], found[1])
