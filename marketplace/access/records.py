"""``GET /elements/{id}/records`` (issue 7 §1): licensed rows for a buyer's program.

Order of work, so a refused call changes nothing and the locked part is short: authorise the
API key → find the element → token bucket (429) → pick the organisation's first agreement for
the element whose policy allows ``api_access`` now (402 quota / 403 otherwise) → check the
arguments against the licensed columns (422) → end this read-only transaction, so no database
lock (SQLite's write lock from ``BEGIN IMMEDIATE``) is held while DuckDB reads the page → in a
second, short transaction count the use (row lock + compare-and-set, :mod:`.gate`; it decides
again on the committed row, so a revocation meanwhile still refuses) → usage row and listing
popularity → commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from contracts import Action, AgreementState
from marketplace.access import gate, ratelimit, recordsql
from marketplace.access.models import UsageUnit
from marketplace.access.policy import Effective, effective
from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.http import decode_cursor, encode_cursor
from marketplace.orders.access import decision_for
from marketplace.orders.models import Agreement

__all__ = ["Page", "read_records"]


@dataclass(frozen=True)
class Page:
    license_id: str
    element_id: str
    version_id: str
    fields: list[str]
    rows: list[tuple[Any, ...]]
    next_cursor: str | None


def _choose(org_id: str, element_id: str, purpose: str | None) -> Agreement:
    """The first active agreement that allows the call now, read in one statement."""
    rows = db.session.scalars(select(Agreement).where(
        Agreement.buyer_org_id == org_id, Agreement.element_id == element_id,
        Agreement.state == AgreementState.ACTIVE).order_by(Agreement.id)
        .execution_options(populate_existing=True)).all()
    now, first_denial = utcnow(), None
    for row in rows:
        decision = decision_for(row, Action.API_ACCESS, purpose=purpose, at=now)
        if decision.allowed:
            return row
        first_denial = first_denial or gate.denial(row, decision, Action.API_ACCESS, purpose,
                                                   now)
    if first_denial is None:
        raise Forbidden("Your organisation holds no active license for this element.")
    raise first_denial


def _fields(requested: str | None, licensed: dict[str, str]) -> list[str]:
    if not requested:
        return list(licensed)
    names = [n.strip() for n in requested.split(",")]
    bad = [n for n in names if n not in licensed]
    if bad or len(set(names)) != len(names):
        raise ValidationFailed(errors={"fields": [
            "Every field must be a distinct licensed column of the element."]})
    return names


def _filters(args: dict[str, Any], found: Effective) -> list[recordsql.Filter]:
    licensed = found.licensed
    filters = recordsql.parse_filters(args["filter"], licensed)
    keys = args["key"]
    if keys:
        identity = found.policy.identity if found.policy is not None else None
        if identity is None or identity not in licensed:
            raise ValidationFailed(errors={"key": ["The element has no licensed key column."]})
        if len(keys) > recordsql.MAX_KEYS:
            raise ValidationFailed(errors={"key": [f"At most {recordsql.MAX_KEYS} keys."]})
        try:
            values = [recordsql.coerce(k, licensed[identity]) for k in keys]
        except (ValueError, KeyError, ArithmeticError):
            raise ValidationFailed(errors={"key": ["Not a value of the key column."]}) from None
        filters.append((identity, "eq", values))
    return filters


def _after(cursor: str | None) -> int:
    text = decode_cursor(cursor)
    if text is None:
        return -1
    if not text.isdigit():
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]})
    return int(text)


def read_records(principal: Principal | None, element_id: str, purpose: str | None,
                 args: dict[str, Any]) -> Page:
    p = authorize(principal, "records.lookup")
    org_id = p.memberships[0].org_id if p.api_key_id and p.memberships else ""
    authorize(p, "records.read", org_id)
    element = get_by_id(Element, element_id)
    if element is None:
        raise NotFound("No such element.")
    ratelimit.limit(p.api_key_id or "")
    agreement = _choose(org_id, element.id, purpose)
    version = db.session.get(ElementVersion, agreement.element_version_id)
    assert version is not None
    found = effective(version)
    fields = _fields(args["columns"], found.licensed)
    filters = _filters(args, found)
    after = _after(args["cursor"])
    store = current_app.extensions["elx.blobs"]
    blob = store.local_path(version.output_sha256).resolve()
    root = Path(getattr(store, "root", blob.parent)).resolve()
    path, root = str(blob), str(root)
    agreement_id, element_id, version_id = agreement.id, version.element_id, version.id
    db.session.commit()  # nothing was written: just end the transaction before the read
    rows, last = recordsql.read_page(root, path, fields, filters, after, args["limit"])
    used = gate.consume(agreement_id, Action.API_ACCESS, purpose)
    gate.meter(used.id, used.listing_id, UsageUnit.api_call, p)
    cursor = encode_cursor(str(last)) if last is not None else None
    db.session.commit()
    return Page(agreement_id, element_id, version_id, fields, rows, cursor)
