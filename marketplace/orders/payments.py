"""The payment seam (issue 5 §5; DESIGN.md convention 4): a small :class:`PaymentGateway`
interface and an in-package fake.

``POST /orders`` calls ``gateway.start(order)`` for an order with an amount due, inside its
transaction, and shows the buyer the returned ``next_action``. The provider later reports the
outcome, and the real gateway's webhook calls :func:`marketplace.orders.services.payment_succeeded`
or :func:`~marketplace.orders.services.payment_failed` — exactly what
:meth:`FakePaymentGateway.confirm` and :meth:`FakePaymentGateway.fail` do in tests and the demo.

The app's gateway is ``app.extensions["elx.payments"]``; :func:`install_default` puts the fake
there when none is installed (the payments issue replaces it with a Stripe-API one).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context

from contracts import AgreementState
from marketplace.orders.models import Order

EXTENSION = "elx.payments"


@dataclass(frozen=True)
class PaymentStart:
    """What the provider answered: its name, its payment's reference, and what the buyer must
    do next (shown verbatim as the order's ``next_action``)."""

    provider: str
    reference: str
    next_action: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    def start(self, order: Order) -> PaymentStart:
        """Open a payment for ``order.amount_fen`` ``order.currency`` (idempotent on
        ``order.id``); may raise a DomainError, which aborts the order."""
        ...

    def cancel(self, reference: str, txn_id: str) -> Any:
        """Cancel the open provider payment ``reference`` (idempotent on ``txn_id``), e.g.
        when the order's license ends before it is paid; returns the payment's state
        afterwards (``.status``: ``failed`` once cancelled, ``succeeded`` if the provider
        captured it first). Never called inside a database transaction."""
        ...


class FakePaymentGateway:
    """Accepts every payment request; ``confirm``/``fail`` play the provider's webhook."""

    provider = "fake"

    def __init__(self, app: Flask | None = None) -> None:
        self.app = app
        self.started: dict[str, PaymentStart] = {}
        self.cancelled: dict[str, str] = {}  # reference → the txn id that cancelled it

    def start(self, order: Order) -> PaymentStart:
        reference = f"fake_pay_{order.id}"
        started = PaymentStart(self.provider, reference, {
            "type": "pay", "provider": self.provider, "reference": reference,
            "amount_fen": order.amount_fen, "currency": order.currency,
            "instructions": "Complete the payment with the payment provider; the license "
                            "activates when the provider confirms it."})
        self.started[order.id] = started
        return started

    def cancel(self, reference: str, txn_id: str) -> Any:
        self.cancelled.setdefault(reference, txn_id)
        return SimpleNamespace(intent_id=reference, status="failed", decline_code="canceled")

    def _context(self) -> Any:
        if has_app_context() or self.app is None:
            return nullcontext()
        return self.app.app_context()

    def confirm(self, order_id: str) -> AgreementState:
        """Report the order's payment as succeeded; returns the agreement's new state."""
        from marketplace.orders import services

        with self._context():
            ref = self.started[order_id].reference if order_id in self.started else order_id
            return services.payment_succeeded(order_id, ref).state

    def fail(self, order_id: str, reason: str = "card_declined") -> AgreementState:
        """Report the order's payment as failed; returns the agreement's new state."""
        from marketplace.orders import services

        with self._context():
            return services.payment_failed(order_id, reason).state


def install_default(app: Flask) -> None:
    """Install the fake unless a gateway is already there."""
    app.extensions.setdefault(EXTENSION, FakePaymentGateway(app))


def gateway() -> PaymentGateway:
    return current_app.extensions[EXTENSION]
