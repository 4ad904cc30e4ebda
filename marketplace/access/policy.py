"""Query policies per element version (issue 7 §2): set by the owner's merchants, else a
default derived by ``sandbox.default_policy`` from the version's schema and PII report.

A stored row holds the ``sandbox.QueryPolicy`` wire form and ``excluded_columns``: columns the
records API never delivers (default: columns where the PII report found a direct identifier).
The licensed columns are the version's columns minus the excluded ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from marketplace.access.models import QueryPolicyRow
from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import Element, ElementVersion
from marketplace.errors import Conflict, NotFound, ValidationFailed
from sandbox import PolicyError, QueryPolicy, default_policy
from sandbox.defaults import DIRECT_IDENTIFIERS
from sandbox.vet import check_policy

__all__ = ["Effective", "effective", "get_policy", "put_policy", "require_policy"]


@dataclass(frozen=True)
class Effective:
    """The policy in force for one version, where it came from, and the licensed columns."""

    version: ElementVersion
    source: str  # stored | default | none
    policy: QueryPolicy | None
    excluded: tuple[str, ...]
    problems: dict[str, str]
    row: QueryPolicyRow | None

    @property
    def columns(self) -> dict[str, str]:
        return columns_of(self.version)

    @property
    def licensed(self) -> dict[str, str]:
        return {c: t for c, t in self.columns.items() if c not in self.excluded}


def columns_of(version: ElementVersion) -> dict[str, str]:
    return {c["name"]: c["type"] for c in version.schema}


def _direct_identifiers(version: ElementVersion) -> tuple[str, ...]:
    found = []
    for col, report in ((version.pii or {}).get("columns") or {}).items():
        kinds = set(report.get("kinds") or ()) | {k for k, n in (report.get("counts") or {})
                                                  .items() if n}
        if kinds & set(DIRECT_IDENTIFIERS):
            found.append(col)
    return tuple(sorted(found))


def effective(version: ElementVersion) -> Effective:
    row = db.session.get(QueryPolicyRow, version.id)
    if row is not None:
        return Effective(version, "stored", QueryPolicy.from_dict(row.policy),
                         tuple(row.excluded_columns), {}, row)
    excluded = _direct_identifiers(version)
    try:
        policy = default_policy(columns_of(version), version.pii or {})
    except PolicyError as exc:
        return Effective(version, "none", None, excluded, exc.errors, None)
    return Effective(version, "default", policy, excluded, {}, None)


def require_policy(version: ElementVersion) -> Effective:
    """The effective policy; 409 when none is set and none can be derived."""
    found = effective(version)
    if found.policy is None:
        raise Conflict("The element has no query policy yet; its merchant must set one.")
    return found


def _version(principal: Principal | None, element_id: str,
             number: int | None) -> tuple[Element, ElementVersion]:
    p = authorize(principal, "query_policy.lookup")
    element = get_by_id(Element, element_id)
    if element is None:
        raise NotFound("No such element.")
    authorize(p, "query_policy.read", element)
    wanted = number or element.latest_version
    version = db.session.scalar(select(ElementVersion).where(
        ElementVersion.element_id == element.id, ElementVersion.version == wanted))
    if version is None:
        raise NotFound("The element has no such version.")
    return element, version


def get_policy(principal: Principal | None, element_id: str, version: int | None) -> Effective:
    return effective(_version(principal, element_id, version)[1])


def put_policy(principal: Principal | None, element_id: str, version: int | None,
               doc: dict[str, Any], excluded: list[str] | None) -> Effective:
    """Store the owner's policy for the version (422 with JSON-pointer errors if invalid)."""
    element, row_version = _version(principal, element_id, version)
    p = authorize(principal, "query_policy.write", element)
    columns = columns_of(row_version)
    try:
        policy = QueryPolicy.from_dict(doc)
        check_policy(policy, columns)
    except PolicyError as exc:
        raise ValidationFailed(errors={"policy": {k or "/": [v] for k, v in
                                                  exc.errors.items()}}) from None
    if excluded is None:
        excluded = list(_direct_identifiers(row_version))
    unknown = sorted(set(excluded) - set(columns))
    if unknown:
        raise ValidationFailed(errors={"excluded_columns": [
            f"Not a column of this version: {', '.join(unknown)}"[:300]]})
    row = db.session.get(QueryPolicyRow, row_version.id) or QueryPolicyRow(
        element_version_id=row_version.id, element_id=element.id)
    row.policy, row.excluded_columns = policy.to_dict(), sorted(set(excluded))
    row.updated_by, row.updated_at = p.user_id, utcnow()
    db.session.add(row)
    db.session.commit()
    return effective(row_version)
