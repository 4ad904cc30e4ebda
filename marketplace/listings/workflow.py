"""One listing transition: the table lookup, a conditional UPDATE and the ledger entry, in the
caller's transaction (issue 5 §2).

``UPDATE listings SET state = :to … WHERE id = :id AND state = :from`` is the only way a
state changes, so two concurrent requests cannot both move the same listing: on PostgreSQL the
loser waits for the winner's row lock, re-reads the row, matches nothing and gets 409; on
SQLite writers are serialised (``BEGIN IMMEDIATE``) and the loser sees the new state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.ledger_api import services as ledger
from marketplace.listings.models import TRANSITIONS, Action, Listing, ListingState


def _acting_org(principal: Principal, listing: Listing) -> str:
    """The merchant when its member acts, else the operator organisation the reviewer is in."""
    if principal.member_of(listing.org_id):
        return listing.org_id
    return next((m.org_id for m in principal.memberships if m.org_kind is OrgKind.operator
                 and m.org_status is OrgStatus.approved), listing.org_id)


def target(state: ListingState, action: Action) -> ListingState:
    """The state ``action`` leads to from ``state``; 409 when the table has no such move."""
    to = TRANSITIONS.get((state, action))
    if to is None:
        raise Conflict(f"Cannot {action.value} a listing that is {state.value}.",
                       state=state.value)
    return to


def transition(principal: Principal, listing: Listing, action: Action,
               payload: dict[str, Any] | None = None, **values: Any) -> ListingState:
    """Move ``listing`` (as the caller last read it) by ``action``, set ``values`` too, and
    append ``listing.<new state>`` to the ledger. No commit."""
    expected = listing.state
    to = target(expected, action)
    now = utcnow()
    stamp = {ListingState.submitted: "submitted_at", ListingState.approved: "reviewed_at",
             ListingState.rejected: "reviewed_at", ListingState.listed: "listed_at",
             ListingState.delisted: "delisted_at"}[to]
    changes = {"state": to, stamp: now, **values}
    result = db.session.execute(
        update(Listing).where(Listing.id == listing.id, Listing.state == expected)
        .values(**changes).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Conflict("The listing was changed by another request; reload it.")
    index = ledger.record(f"listing.{to.value}", listing.id, principal,
                          _acting_org(principal, listing), {
        "listing_id": listing.id, "merchant_org": listing.org_id,
        "element_id": listing.element_id,
        "element_version_id": listing.element_version_id, "from": expected.value,
        "to": to.value, "at": now.isoformat(), **(payload or {})})
    db.session.execute(update(Listing).where(Listing.id == listing.id)
                       .values(ledger_index=index)
                       .execution_options(synchronize_session=False))
    if listing in db.session:
        db.session.expire(listing)  # re-read on next access
    return to
