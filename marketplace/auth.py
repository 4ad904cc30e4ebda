"""Who is calling: a :class:`Principal` built from the request's credentials.

``Authorization: Bearer <JWT>`` identifies a person; ``Authorization: Bearer elx_…`` or
``X-API-Key: elx_…`` identifies a buyer's program acting for one organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.errors import Unauthorized

API_KEY_PREFIX = "elx_"


@dataclass(frozen=True)
class MembershipView:
    org_id: str
    org_kind: OrgKind
    org_status: OrgStatus
    role: Role
    is_owner: bool


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    memberships: tuple[MembershipView, ...]
    api_key_id: str | None = None  # set when a program authenticated with an API key

    def roles_in(self, org_id: str) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships if m.org_id == org_id)

    def member_of(self, org_id: str) -> bool:
        return any(m.org_id == org_id for m in self.memberships)

    def approved_orgs(self, *roles: Role) -> list[str]:
        """Approved organisations where the caller holds any of ``roles``."""
        return [m.org_id for m in self.memberships
                if m.org_status is OrgStatus.approved and m.role in roles]

    def is_operator_staff(self, *roles: Role) -> bool:
        wanted = roles or (Role.operator_admin, Role.auditor)
        return any(m.org_kind is OrgKind.operator and m.org_status is OrgStatus.approved
                   and m.role in wanted for m in self.memberships)


def credentials() -> tuple[str, str] | None:
    """``("jwt", token)`` or ``("api_key", key)`` from the headers, or None."""
    header = request.headers.get("Authorization", "")
    api_key = request.headers.get("X-API-Key")
    if header:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        return ("api_key", value) if value.startswith(API_KEY_PREFIX) else ("jwt", value)
    if api_key:
        return ("api_key", api_key.strip())
    return None


def current_principal() -> Principal | None:
    """The caller, authenticated once per request (None when anonymous)."""
    if "elx_principal" not in g:
        from marketplace.accounts.services import authenticate  # avoids an import cycle

        creds = credentials()
        g.elx_principal = authenticate(*creds) if creds else None
    return g.elx_principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Authentication required.")
    return principal
