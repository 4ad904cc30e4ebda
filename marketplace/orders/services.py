"""Order and license services (issue 5 §5): terms, orders (:mod:`.ordering`), reads, the
payment outcomes the gateway's webhook reports, and the operator's revocation.

Each function authorises first (payment outcomes come from the provider, not a person), moves
the agreement only through :func:`.transitions.apply` and commits once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from contracts import AgreementEvent, AgreementState, policy_from_dict, render
from marketplace.accounts.common import get_by_id
from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict, NotFound
from marketplace.http import id_page
from marketplace.listings.models import Listing
from marketplace.listings.stats import record_order
from marketplace.orders import terms as terms_
from marketplace.orders.models import Agreement, AgreementEventRow, Order
from marketplace.orders.ordering import place_order, visible_listing
from marketplace.orders.transitions import Actor, apply
from marketplace.valuations.deals import record_settled_deal

__all__ = ["get_license", "get_order", "license_history", "list_licenses", "payment_failed",
           "payment_succeeded", "place_order", "revoke", "terms"]


def terms(principal: Principal | None, listing_id: str, plan_id: str,
          purpose: str) -> terms_.Terms:
    """The exact terms ``POST /orders`` would agree to (its ``accepted_terms_hash``)."""
    p = authorize(principal, "element.lookup")
    return terms_.build(visible_listing(p, listing_id), plan_id, purpose)


def get_order(principal: Principal | None, order_id: str) -> tuple[Order, Agreement]:
    p = authorize(principal, "element.lookup")
    order = get_by_id(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    authorize(p, "order.read", order)
    return order, _agreement_of(order.id)


def _agreement_of(order_id: str) -> Agreement:
    return db.session.execute(select(Agreement).where(Agreement.order_id == order_id)).scalar_one()


def get_license(principal: Principal | None, license_id: str) -> Agreement:
    p = authorize(principal, "license.list")
    agreement = get_by_id(Agreement, license_id)
    if agreement is None:
        raise NotFound("No such license.")
    authorize(p, "license.read", agreement)
    return agreement


def license_history(agreement: Agreement) -> tuple[list[AgreementEventRow], dict[str, str]]:
    """The agreement's history (oldest first) and its contract text in zh and en."""
    rows = list(db.session.scalars(select(AgreementEventRow).where(
        AgreementEventRow.agreement_id == agreement.id).order_by(AgreementEventRow.seq)))
    policy = policy_from_dict(agreement.policy)
    return rows, {lang: render(policy, lang) for lang in ("zh", "en")}


def list_licenses(principal: Principal | None, state: AgreementState | None, cursor: str | None,
                  limit: int) -> tuple[list[Agreement], str | None]:
    """Agreements of the caller's organisations, as buyer or merchant; operator staff see
    all. Id order, cursor-paginated."""
    p = authorize(principal, "license.list")
    query = select(Agreement)
    if not p.is_operator_staff():
        mine = [m.org_id for m in p.memberships]
        query = query.where(or_(Agreement.buyer_org_id.in_(mine),
                                Agreement.merchant_org_id.in_(mine)))
    if state is not None:
        query = query.where(Agreement.state == state)
    return id_page(query, Agreement.id, cursor, limit)


def _order_for_payment(order_id: str) -> tuple[Order, Agreement]:
    order = get_by_id(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    return order, _agreement_of(order.id)


def payment_succeeded(order_id: str, provider_ref: str) -> Agreement:
    """The provider confirmed the payment: the agreement activates, its validity starts, the
    listing counts one more order and the price becomes a settled deal (comparables)."""
    order, agreement = _order_for_payment(order_id)
    if order.payment_ref is not None and provider_ref != order.payment_ref:
        raise Conflict("The payment reference does not match the order's payment.")
    now = utcnow()
    listing = db.session.get(Listing, agreement.listing_id)
    assert listing is not None

    def effects() -> None:
        record_order(listing.id)
        if order.amount_fen:
            record_settled_deal(agreement.element_version_id, order.amount_fen, order.currency,
                                agreement.price["kind"], now, source_ref=agreement.id)
        _set_order(order.id, paid_at=now, payment_ref=provider_ref, payment_error=None)

    apply(agreement, AgreementEvent.PAYMENT_SUCCEEDED, Actor(order.buyer_org_id),
          reason=f"payment {provider_ref} confirmed", effects=effects, values={
              "valid_from": now,
              "valid_until": terms_.valid_until(listing.license_params, agreement.price, now)})
    db.session.commit()
    return agreement


def payment_failed(order_id: str, reason: str) -> Agreement:
    """The provider reports a failed payment; where the agreement goes is the table's call."""
    order, agreement = _order_for_payment(order_id)
    apply(agreement, AgreementEvent.PAYMENT_FAILED, Actor(order.buyer_org_id),
          reason=f"payment failed: {reason}"[:2000],
          effects=lambda: _set_order(order.id, payment_error=reason[:2000]))
    db.session.commit()
    return agreement


def _set_order(order_id: str, **values: Any) -> None:
    db.session.execute(update(Order).where(Order.id == order_id).values(**values)
                       .execution_options(synchronize_session=False))


def revoke(principal: Principal | None, license_id: str, reason: str) -> Agreement:
    """The operator withdraws the license (a breach): every later use is denied at once. A
    license still awaiting payment has its open PaymentIntents cancelled at the provider,
    after the commit (no provider call inside a transaction)."""
    agreement = get_license(principal, license_id)
    p = authorize(principal, "license.revoke", agreement)
    now: datetime = utcnow()
    operator_org = next(m.org_id for m in p.memberships if m.org_kind is OrgKind.operator
                        and m.org_status is OrgStatus.approved and m.role is Role.operator_admin)
    unpaid, order_id = agreement.state is AgreementState.PENDING_PAYMENT, agreement.order_id
    apply(agreement, AgreementEvent.REVOKE, Actor(operator_org, p.user_id), reason=reason,
          values={"revoked_at": now, "revoke_reason": reason})
    db.session.commit()
    if unpaid:
        from marketplace.payments.cancel import cancel_open  # lazy: payments builds on orders

        cancel_open(order_id)
    return agreement
