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


def _element_reader(p: Principal, element: Any) -> bool:
    """The owner's members and operator staff; anyone signed in once it is listed (issue 5)."""
    if _asset_reader(p, element):
        return True
    from marketplace.listings.index import is_listed  # lazy: listings imports this module

    return is_listed(element.id)


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
    "element.read": Rule(_element_reader, hide=True),
    "job.read": Rule(_asset_reader, hide=True),
    "job.cancel": Rule(_asset_writer),
    # --- valuations (issue 5) ---
    # The resource is the acting agency's id: an assessor of an approved valuation agency.
    # Conflicts of interest with the element's owner are refused by the service after this.
    "valuation.create": Rule(lambda p, agency_id: any(
        m.org_id == agency_id and m.role is Role.assessor
        and m.org_kind is OrgKind.valuation_agency and m.org_status is OrgStatus.approved
        for m in p.memberships)),
    # The resource is a ValuationScope: the element's owner, operator staff, or an agency
    # that valued the element (which then sees only its own valuations).
    "valuation.read": Rule(lambda p, scope: p.member_of(scope.owner_org_id)
                           or p.is_operator_staff()
                           or any(p.member_of(a) for a in scope.agency_org_ids), hide=True),
    "valuation.affiliation.declare": Rule(lambda p, org: Role.assessor in p.roles_in(org.id)),
    "valuation.affiliation.read": Rule(_org_member_or_staff, hide=True),
    "market.comparables.read": Rule(lambda p, _r: p.is_operator_staff()
                                    or bool(p.approved_orgs(Role.assessor))),
    # --- end valuations ---
    # --- listings and catalog (issue 5) ---
    # Merchants of the element's owner (create: the resource is that org id; then the listing).
    "listing.create": Rule(_merchant_of),
    "listing.list": Rule(_anyone),
    # A listed listing is public to anyone signed in; other states only to its merchant's
    # members and operator staff.
    "listing.read": Rule(lambda p, lst: p.member_of(lst.org_id) or p.is_operator_staff()
                         or lst.state.value == "listed", hide=True),
    "listing.submit": Rule(lambda p, lst: _merchant_of(p, lst.org_id)),
    "listing.publish": Rule(lambda p, lst: _merchant_of(p, lst.org_id)),
    "listing.review": Rule(_operator_admin),
    "listing.delist": Rule(lambda p, lst: _merchant_of(p, lst.org_id)
                           or p.is_operator_staff(Role.operator_admin)),
    # The catalog is public (anonymous callers need no rule); programs may browse it too.
    "catalog.read": Rule(_anyone, api_key_ok=True),
    # --- web console (issue 8): pages any signed-in person may open ---
    "console.home": Rule(_anyone),
    # --- web console merchant ---
    # The merchant console (/merchant/...): merchants of an approved merchant organisation;
    # the resource is the organisation id the page acts for (or the resource's owner).
    "merchant.console": Rule(_merchant_of),
    # --- end listings ---
    # --- orders and licenses (issue 5) ---
    # Terms (and ordering) of a listing: anyone signed in once it has ever been listed (a
    # delisted one then answers 409), else only its merchant's members and operator staff.
    "license.terms.read": Rule(lambda p, lst: p.member_of(lst.org_id) or p.is_operator_staff()
                               or lst.listed_at is not None, hide=True),
    # The resource is the buying organisation's id: a buyer of an approved buyer organisation.
    "order.create": Rule(_buyer_of),
    "order.read": Rule(lambda p, order: p.member_of(order.buyer_org_id)
                       or p.is_operator_staff(), hide=True),
    # Licenses: both parties and operator staff; a buyer's program may read its own.
    "license.list": Rule(_anyone, api_key_ok=True),
    "license.read": Rule(lambda p, agr: p.member_of(agr.buyer_org_id)
                         or p.member_of(agr.merchant_org_id) or p.is_operator_staff(),
                         api_key_ok=True, hide=True),
    "license.revoke": Rule(_operator_admin),
    # --- end orders ---
    # --- payments and revenue (issue 6) ---
    # The buying organisation's buyers pay its orders (others: hidden, as for order.read).
    "order.pay": Rule(lambda p, order: _buyer_of(p, order.buyer_org_id), hide=True),
    "order.refund": Rule(_operator_admin),
    # The books: operator staff (the auditor reads, read-only); fees: operator admins only.
    "revenue.read": Rule(lambda p, _r: p.is_operator_staff()),
    "revenue.fees.write": Rule(_operator_admin),
    # A statement: operator staff, or the merchant organisation's own members.
    "revenue.statement.read": Rule(lambda p, org_id: p.is_operator_staff()
                                   or _merchant_of(p, org_id)),
    # Payouts: recorded by operator admins; listed by operator staff and by a merchant's
    # members (their own organisations; the resource is the merchant named, if any).
    "revenue.payout.write": Rule(_operator_admin),
    "revenue.payout.list": Rule(lambda p, org_id: p.is_operator_staff() or (
        _merchant_of(p, org_id) if org_id is not None else bool(p.approved_orgs(
            *MERCHANT_ROLES)))),
    # Metered invoices: an operator admin runs a period; the buying organisation, the
    # merchant and operator staff read them (a list is filtered; one invoice: hidden).
    "revenue.invoice.run": Rule(_operator_admin),
    "revenue.invoice.list": Rule(_anyone),
    "revenue.invoice.read": Rule(lambda p, inv: p.member_of(inv.buyer_org_id)
                                 or p.member_of(inv.merchant_org_id) or p.is_operator_staff(),
                                 hide=True),
    # An invoice is paid by the buying organisation's buyers (who may not read it: 404 first).
    "revenue.invoice.pay": Rule(lambda p, inv: _buyer_of(p, inv.buyer_org_id)),
    # --- end payments and revenue ---
    # --- access (issue 7) ---
    # Query policies: readable wherever the element is (its owner and staff; anyone signed
    # in, a buyer's program too, once listed); set only by the owner's merchants.
    "query_policy.lookup": Rule(_anyone, api_key_ok=True),
    "query_policy.read": Rule(_element_reader, api_key_ok=True, hide=True),
    "query_policy.write": Rule(lambda p, element: _merchant_of(p, element.owner_org_id)),
    # Records: only a program (API key) of an approved buyer organisation; the resource is
    # the key's organisation. The license itself is checked by the service (402/403).
    "records.lookup": Rule(_anyone, api_key_ok=True),
    "records.read": Rule(lambda p, org_id: p.api_key_id is not None and _buyer_of(p, org_id),
                         api_key_ok=True),
    # Sandbox queries: the buying organisation's buyers and their programs.
    "sandbox.query": Rule(lambda p, agr: _buyer_of(p, agr.buyer_org_id), api_key_ok=True),
    # --- end access ---
    # --- web console assessor and operator ---
    # Lists only the console shows: an agency's valuations (operator staff: all), and the
    # operator's queues (organisations, listing reviews, licenses), read by operator staff.
    "valuation.list": Rule(lambda p, _r: p.is_operator_staff()
                           or bool(p.approved_orgs(Role.assessor))),
    "organization.review.read": Rule(lambda p, _r: p.is_operator_staff()),
    "listing.review.read": Rule(lambda p, _r: p.is_operator_staff()),
    "license.review.read": Rule(lambda p, _r: p.is_operator_staff()),
    # --- end web console assessor and operator ---
    # --- web console buyer ---
    # The buyer console (/buyer/...): members with the buyer role of an approved buyer
    # organisation. Orders are listed like licenses: the caller's own organisations only.
    "console.buyer": Rule(lambda p, _r: bool(p.approved_orgs(Role.buyer))),
    "order.list": Rule(_anyone),
    # --- end web console buyer ---
}

#: Actions that need no credentials at all (views marked with :func:`public`).
PUBLIC_ACTIONS = frozenset({
    "health.read", "user.register", "auth.token", "auth.refresh", "auth.logout",
    "ledger.read", "openapi.read",
    "payments.webhook",  # authenticated by its Stripe-Signature instead (issue 6 §2)
    # --- web console (issue 8): sign-in, language switch, public pages ---
    "console.session", "console.public",
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
