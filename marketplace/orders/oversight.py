"""The operator's view of orders and their licenses (issue 5 §5, issue 8 §5): newest first,
with whether the license can still be revoked (the ``contracts`` transition table decides).
Revoking itself is :func:`.services.revoke`, the same as ``POST /licenses/{id}/revoke``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from contracts import AgreementEvent, AgreementState, IllegalTransition, next_state
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.orders.models import Agreement, Order

LIMIT = 200


def revocable(state: AgreementState) -> bool:
    """Whether the transition table lets the operator revoke a license in ``state``."""
    try:
        next_state(state, AgreementEvent.REVOKE)
    except IllegalTransition:
        return False
    return True


@dataclass(frozen=True)
class Line:
    order: Order
    agreement: Agreement

    @property
    def revocable(self) -> bool:
        return revocable(self.agreement.state)


def order_lines(principal: Principal | None, state: AgreementState | None = None,
                limit: int = LIMIT) -> list[Line]:
    """Every order with its license (operator staff), newest first; optionally one state."""
    authorize(principal, "license.review.read")
    query = (select(Order, Agreement).join(Agreement, Agreement.order_id == Order.id)
             .order_by(Order.created_at.desc(), Order.id).limit(limit))
    if state is not None:
        query = query.where(Agreement.state == state)
    return [Line(order, agreement) for order, agreement in db.session.execute(query)]
