"""``POST /orders``: accept exact terms, once per ``Idempotency-Key`` (issue 5 §5).

The key (1–255 visible ASCII characters, draft-ietf-httpapi-idempotency-key-header: missing or
malformed is 400) is unique per buyer organisation. The same key with the same body replays the
first answer verbatim; with another body it is 422. Concurrent duplicates race on the unique
constraint: the loser's insert waits for the winner, fails, rolls back and replays the
winner's answer — one order, one agreement, one payment started.

A free order's agreement is created and activated in the same transaction
(``agreement.created`` with the terms hash, then ``agreement.activated``); otherwise it waits
in ``pending_payment`` and the payment gateway is asked to start a payment.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts import AgreementEvent, AgreementState
from ledger.canonical import dumps_canonical
from marketplace.accounts.common import get_by_id
from marketplace.accounts.models import Role
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.listings.models import Listing
from marketplace.listings.stats import record_order
from marketplace.orders import payments, schemas, terms
from marketplace.orders.models import Agreement, Order, OrderState
from marketplace.orders.transitions import CREATED, Actor, apply, history, record

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def check_key(value: str | None) -> str:
    if value is None:
        raise BadRequest(f"The {HEADER} header is required: send a fresh unique value per order.")
    if not _KEY.fullmatch(value):
        raise BadRequest(f"The {HEADER} header must be 1 to 255 visible ASCII characters.")
    return value


def visible_listing(principal: Principal, listing_id: str) -> Listing:
    """The listing, if the caller may know it exists (ever listed, or theirs); else 404."""
    listing = get_by_id(Listing, listing_id)
    if listing is None:
        raise NotFound("No such listing.")
    authorize(principal, "license.terms.read", listing)
    return listing


def buyer_org(principal: Principal | None, requested: str | None) -> str:
    """The buyer organisation the order is for: the one named, else the caller's only one."""
    if principal is None or requested is not None:
        return requested or ""
    orgs = principal.approved_orgs(Role.buyer)
    if not orgs:
        raise Forbidden("Only members of an approved buyer organisation can order.")
    if len(orgs) > 1:
        raise ValidationFailed(errors={"buyer_org_id": [
            "Required: you buy for several organisations."]})
    return orgs[0]


def _fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(dumps_canonical(data)).hexdigest()


def _existing(org_id: str, key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.buyer_org_id == org_id,
                                                 Order.idempotency_key == key))


def _replay(order: Order, fingerprint: str) -> tuple[dict[str, Any], bool]:
    if order.request_fingerprint != fingerprint:
        raise ValidationFailed(f"This {HEADER} was already used for a different request.",
                               errors={HEADER: ["Already used with a different body."]})
    return order.response, True


def place_order(principal: Principal | None, key: str | None,
                data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create (or replay) the order; returns the answer's body and whether it is a replay."""
    org_id = buyer_org(principal, data["buyer_org_id"])
    p = authorize(principal, "order.create", org_id)
    key = check_key(key)
    fingerprint = _fingerprint(data)
    earlier = _existing(org_id, key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    listing = visible_listing(p, data["listing_id"])
    accepted = terms.build(listing, data["plan_id"], data["purpose"])
    if accepted.terms_hash != data["accepted_terms_hash"]:
        raise Conflict("The terms changed; fetch them again (GET /listings/{id}/terms).")
    now, due = utcnow(), accepted.amount_fen
    order = Order(id=new_id("ord"), buyer_org_id=org_id, buyer_user_id=p.user_id,
                  listing_id=listing.id, plan_id=accepted.plan.id, purpose=accepted.purpose,
                  amount_fen=due, currency=accepted.plan.currency,
                  state=OrderState.awaiting_payment if due else OrderState.free,
                  idempotency_key=key, request_fingerprint=fingerprint, created_at=now,
                  response={})
    db.session.add(order)
    try:
        db.session.flush()  # a concurrent duplicate waits here for the winner, then fails
    except IntegrityError:
        db.session.rollback()
        winner = _existing(org_id, key)
        if winner is None:
            raise
        return _replay(winner, fingerprint)
    if due:  # before the ledger append: no global lock is held while the provider answers
        started = payments.gateway().start(order)
        order.payment_provider, order.payment_ref = started.provider, started.reference
        order.payment_action = started.next_action
    agreement = _agreement(order, accepted, p, now)
    db.session.refresh(agreement)
    order.response = schemas.order_out(order, agreement)
    db.session.commit()
    return order.response, False


def _agreement(order: Order, accepted: terms.Terms, p: Principal, now: Any) -> Agreement:
    """The agreement in ``pending_payment``, on the ledger; activated at once if free."""
    listing = accepted.listing
    agreement = Agreement(
        id=new_id("agr"), order_id=order.id, listing_id=listing.id, plan_id=accepted.plan.id,
        element_id=listing.element_id, element_version_id=listing.element_version_id,
        buyer_org_id=order.buyer_org_id, merchant_org_id=listing.org_id,
        purpose=accepted.purpose, policy=accepted.policy_doc,
        policy_digest=accepted.policy_digest, price=accepted.price,
        terms_hash=accepted.terms_hash, state=AgreementState.PENDING_PAYMENT, count_used=0,
        accepted_at=now, accepted_by=p.user_id, created_at=now, ledger_index=-1)
    db.session.add(agreement)
    db.session.flush()
    actor = Actor(order.buyer_org_id, p.user_id)
    if not order.amount_fen:
        record_order(listing.id)  # row locks before the ledger's lock
    agreement.ledger_index = record(CREATED, agreement, actor, {
        "listing_id": listing.id, "element_id": listing.element_id,
        "element_version_id": listing.element_version_id, "plan_id": accepted.plan.id,
        "purpose": accepted.purpose, "policy_digest": accepted.policy_digest,
        "amount_fen": order.amount_fen, "currency": order.currency,
        "accepted_by": p.user_id, "accepted_at": now.isoformat(),
        "state": AgreementState.PENDING_PAYMENT.value})
    history(agreement, 0, None, None, AgreementState.PENDING_PAYMENT, actor, None, now,
            agreement.ledger_index)
    db.session.flush()
    if not order.amount_fen:
        apply(agreement, AgreementEvent.PAYMENT_SUCCEEDED, actor, reason="nothing is due",
              values={"valid_from": now,
                      "valid_until": terms.valid_until(listing.license_params,
                                                       accepted.price, now)})
    return agreement
