"""The one place an agreement changes state (issue 5 §5): the ``contracts`` transition table,
a conditional UPDATE, the history row and the ledger entry, in the caller's transaction.

``UPDATE agreements SET state = :to … WHERE id = :id AND state = :from`` is the only write of
``agreements.state``. Two concurrent moves of one agreement cannot both pass: on PostgreSQL the
loser waits for the winner's row lock, re-reads the row, matches nothing and gets 409; on
SQLite writers are serialised (``BEGIN IMMEDIATE``). So no move ever skips the table. The
ledger append comes last, after every row lock the move takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from contracts import AgreementEvent, AgreementState, IllegalTransition, next_state
from ledger.entry import EntryDraft
from marketplace.accounts.models import Organization, OrgKind, OrgStatus
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger
from marketplace.orders.models import ORDER_TRANSITIONS, Agreement, AgreementEventRow, Order

CREATED = "agreement.created"
#: Ledger entry kind of each event (``agreement.<word>``).
KINDS: dict[AgreementEvent, str] = {
    AgreementEvent.PAYMENT_SUCCEEDED: "agreement.activated",
    AgreementEvent.PAYMENT_FAILED: "agreement.payment_failed",
    AgreementEvent.PAYMENT_TIMEOUT: "agreement.payment_timed_out",
    AgreementEvent.SUSPEND: "agreement.suspended",
    AgreementEvent.RESUME: "agreement.resumed",
    AgreementEvent.EXPIRE: "agreement.expired",
    AgreementEvent.TERMINATE: "agreement.terminated",
    AgreementEvent.REFUND: "agreement.refunded",
    AgreementEvent.REVOKE: "agreement.revoked",
}


@dataclass(frozen=True)
class Actor:
    """Who moves an agreement: an organisation, and the person when one acts."""

    org_id: str
    user_id: str | None = None


def platform_actor(fallback_org: str) -> Actor:
    """The operating company, for moves nobody requested (the clock)."""
    org = db.session.scalar(select(Organization.id).where(
        Organization.kind == OrgKind.operator, Organization.status == OrgStatus.approved)
        .order_by(Organization.id).limit(1))
    return Actor(org or fallback_org)


def record(kind: str, agreement: Agreement, actor: Actor, payload: dict[str, Any]) -> int:
    """Append one ledger entry about ``agreement`` (no commit); returns its index."""
    draft = EntryDraft(kind=kind, subject=agreement.id, actor_org=actor.org_id,
                       actor_user=actor.user_id, payload={
                           "agreement_id": agreement.id, "order_id": agreement.order_id,
                           "buyer_org": agreement.buyer_org_id,
                           "merchant_org": agreement.merchant_org_id,
                           "terms_hash": agreement.terms_hash, **payload},
                       timestamp=utcnow())
    return ledger.store().append(db.session.connection(), draft).index


def history(agreement: Agreement, seq: int, event: AgreementEvent | None,
            before: AgreementState | None, after: AgreementState, actor: Actor,
            reason: str | None, at: datetime, index: int) -> None:
    db.session.add(AgreementEventRow(
        id=new_id("aev"), agreement_id=agreement.id, seq=seq, event=event, from_state=before,
        to_state=after, reason=reason, actor_org_id=actor.org_id, actor_user_id=actor.user_id,
        at=at, ledger_index=index))


def target(state: AgreementState, event: AgreementEvent) -> AgreementState:
    """The state ``event`` leads to from ``state``; 409 when the table has no such move."""
    try:
        return next_state(state, event)
    except IllegalTransition:
        raise Conflict(f"A license in state {state.value} cannot take '{event.value}'.",
                       state=state.value) from None


def apply(agreement: Agreement, event: AgreementEvent, actor: Actor, *,
          reason: str | None = None, values: dict[str, Any] | None = None,
          effects: Callable[[], None] | None = None) -> AgreementState:
    """Move ``agreement`` (in the state the caller last read) by ``event``, also setting
    ``values``; run ``effects`` once the move is certain; then history and ledger. No commit;
    409 (after a rollback) when the table forbids it or another request moved it first."""
    expected = agreement.state
    to = target(expected, event)
    result = db.session.execute(
        update(Agreement).where(Agreement.id == agreement.id, Agreement.state == expected)
        .values(state=to, **(values or {})).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Conflict("The license was changed by another request; reload it.")
    _follow(agreement.order_id, to)
    if effects is not None:
        effects()
    now = utcnow()
    seq = db.session.scalar(select(func.max(AgreementEventRow.seq)).where(
        AgreementEventRow.agreement_id == agreement.id))
    index = record(KINDS[event], agreement, actor, {
        "event": event.value, "from": expected.value, "to": to.value, "reason": reason,
        "at": now.isoformat()})
    history(agreement, (seq or 0) + 1, event, expected, to, actor, reason, now, index)
    db.session.flush()
    db.session.expire(agreement)
    return to


def _follow(order_id: str, reached: AgreementState) -> None:
    """Move the order by :data:`ORDER_TRANSITIONS` (its row is only written here and at
    creation, always under the agreement's row lock, so the state read is current)."""
    current = db.session.scalar(select(Order.state).where(Order.id == order_id)
                                .execution_options(populate_existing=True))
    after = ORDER_TRANSITIONS.get((current, reached)) if current is not None else None
    if after is not None:
        db.session.execute(update(Order).where(Order.id == order_id, Order.state == current)
                           .values(state=after).execution_options(synchronize_session=False))
