"""Conflicts the journal reports (409 problems): a duplicate posting, an over-refund, an
overdrawn payout."""

from __future__ import annotations

from marketplace.errors import Conflict
from marketplace.revenue.models import TransactionKind


class AlreadyPosted(Conflict):
    """This (kind, reference) was posted before; ``transaction_id`` is that posting."""

    def __init__(self, kind: TransactionKind, reference: str,
                 transaction_id: str | None) -> None:
        super().__init__(f"The {kind.value} {reference!r} is already in the journal.")
        self.transaction_id = transaction_id


class RefundExceedsCaptured(Conflict):
    """Cumulative refunds of a sale would exceed its captured gross."""


class PayoutExceedsPayable(Conflict):
    """A payout larger than what the platform owes the merchant."""
