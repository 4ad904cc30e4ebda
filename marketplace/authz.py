"""Authorisation: one named check per service action, deny by default.

Every view declares the action it performs with :func:`action` (or :func:`public`); a test walks
the app's ``url_map`` and fails if a route declares none. Services call :func:`authorize` first,
before any domain logic. Callers outside the owning organisation get 404 for things they may
not know exist (``hide=True``), 403 when the thing is public but the act is not theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from marketplace.accounts.models import MERCHANT_KINDS, OrgKind, OrgStatus, Role
from marketplace.auth import Principal
from marketplace.errors import Forbidden, NotFound, Unauthorized, ValidationFailed

F = TypeVar("F", bound=Callable[..., Any])
Check = Callable[[Principal, Any], bool]

MERCHANT_ROLES = (Role.merchant_admin, Role.merchant_member)


@dataclass(frozen=True)
class Rule:
    check: Check
    api_key_ok: bool = False  # may a program with an API key perform it?
    hide: bool = False  # deny with 404 instead of 403


def _anyone(_p: Principal, _r: Any) -> bool:
    return True


def _operator_admin(p: Principal, _r: Any) -> bool:
    return p.is_operator_staff(Role.operator_admin)


def _org_member_or_staff(p: Principal, org: Any) -> bool:
    return p.member_of(org.id) or p.is_operator_staff()


def _org_admin(p: Principal, org: Any) -> bool:
    return any(m.org_id == org.id and (m.is_owner or m.role in (Role.merchant_admin,
                                                                 Role.operator_admin))
               for m in p.memberships)


def _buyer_of(p: Principal, org_id: Any) -> bool:
    return any(m.org_id == org_id and m.role is Role.buyer and m.org_status is OrgStatus.approved
               for m in p.memberships)


def _merchant_of(p: Principal, org_id: Any) -> bool:
    return any(m.org_id == org_id and m.role in MERCHANT_ROLES and m.org_kind in MERCHANT_KINDS
               and m.org_status is OrgStatus.approved for m in p.memberships)


def _asset_reader(p: Principal, asset: Any) -> bool:
    return p.member_of(asset.owner_org_id) or p.is_operator_staff()


def _asset_writer(p: Principal, asset: Any) -> bool:
    return _merchant_of(p, asset.owner_org_id)


RULES: dict[str, Rule] = {
    "me.read": Rule(_anyone, api_key_ok=True),
    "organization.create": Rule(_anyone),
    "organization.read": Rule(_org_member_or_staff, hide=True),
    "organization.list": Rule(_anyone),
    "organization.approve": Rule(_operator_admin),
    "organization.member.add": Rule(_org_admin),
    "api_key.create": Rule(_buyer_of),
    "api_key.list": Rule(_anyone),
    "api_key.revoke": Rule(lambda p, key: p.member_of(key.org_id), hide=True),
    "asset.create": Rule(_merchant_of),
    "asset.list": Rule(_anyone),
    "asset.read": Rule(_asset_reader, hide=True),
    "asset.version.create": Rule(_asset_writer),
    "asset.certificate.read": Rule(_asset_reader, hide=True),
    "element.lookup": Rule(_anyone),
    "element.create": Rule(_merchant_of),
    "element.input.use": Rule(_asset_writer),
    "element.version.create": Rule(_asset_writer),
    "element.read": Rule(_asset_reader, hide=True),
    "job.read": Rule(_asset_reader, hide=True),
    "job.cancel": Rule(_asset_writer),
    # --- valuations (issue 5) ---
    # --- end valuations ---
    # --- listings and catalog (issue 5) ---
    # --- end listings ---
    # --- orders and licenses (issue 5) ---
    # --- end orders ---
}

#: Actions that need no credentials at all (views marked with :func:`public`).
PUBLIC_ACTIONS = frozenset({
    "health.read", "user.register", "auth.token", "auth.refresh", "auth.logout",
    "ledger.read", "openapi.read",
})


def authorize(principal: Principal | None, name: str, resource: Any = None) -> Principal:
    """Raise unless ``principal`` may perform action ``name`` on ``resource``."""
    rule = RULES[name]
    if principal is None:
        raise Unauthorized("Authentication required.")
    if principal.api_key_id is not None and not rule.api_key_ok:
        raise Forbidden("API keys cannot perform this action; sign in as a person.")
    if not rule.check(principal, resource):
        if rule.hide:
            raise NotFound("No such resource.")
        raise Forbidden(f"You are not allowed to perform '{name}'.")
    return principal


def action(name: str) -> Callable[[F], F]:
    """Declare the authorisation action a view performs (checked by the route audit test)."""
    if name not in RULES and name not in PUBLIC_ACTIONS:
        raise KeyError(f"undeclared action {name!r}")

    def mark(view: F) -> F:
        view.elx_action = name  # type: ignore[attr-defined]
        return view

    return mark


def public(name: str) -> Callable[[F], F]:
    if name not in PUBLIC_ACTIONS:
        raise KeyError(f"{name!r} is not a public action")
    return action(name)


def acting_merchant_org(principal: Principal | None, requested: str | None) -> str:
    """The merchant organisation a request acts for: the one named, else the caller's only
    approved one (403 if none, 422 if several). Authorisation of that choice comes after."""
    if principal is None or requested is not None:
        return requested or ""
    orgs = principal.approved_orgs(*MERCHANT_ROLES)
    if not orgs:
        raise Forbidden("You are not a member of an approved merchant organisation.")
    if len(orgs) > 1:
        raise ValidationFailed(errors={"owner_org_id": [
            "Required: you act for several merchant organisations."]})
    return orgs[0]


def merchant_kind(kind: OrgKind) -> bool:
    return kind in MERCHANT_KINDS
