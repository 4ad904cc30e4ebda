"""The orders' payment seam (``marketplace.orders.payments.PaymentGateway``) over the Stripe API,
and a provider-less simulation of it for tests and demos in :mod:`.simulated` (issue 6 §1;
DESIGN.md convention 4).

Both offer the same calls: ``start`` (at ``POST /orders``: no provider call, just the
``next_action`` pointing at ``POST /orders/{id}/pay``), ``pay`` (one PaymentIntent per attempt,
created and confirmed at once; Idempotency-Key from the attempt id), ``retrieve``, ``cancel``
(``POST /v1/payment_intents/{id}/cancel``, Idempotency-Key from the attempt id), ``refund``
(Idempotency-Key from our refund id), ``open_invoice`` (an unconfirmed PaymentIntent for a
metered-usage invoice, Idempotency-Key from the invoice id), ``pay_invoice`` (that intent
confirmed with the buyer's payment method, Idempotency-Keys from the attempt id) and
``charges`` (every provider charge, page by page). None of them is called inside a database
transaction.
``PAYMENTS_GATEWAY`` (``stripe`` | ``fake``) chooses; :func:`install` puts it in the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask

from marketplace.orders.models import Order
from marketplace.orders.payments import EXTENSION, PaymentStart
from marketplace.payments.errors import CardDeclined, IdempotencyKeyReused, ProviderRejected
from marketplace.payments.stripe_api import StripeClient

DECLINED_METHODS = frozenset({"pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"})
#: Stripe's test method that needs the payer's authentication (3-D Secure): it stays pending.
PENDING_METHODS = frozenset({"pm_card_authenticationRequired"})


@dataclass(frozen=True)
class IntentState:
    """A PaymentIntent as we need it: ``status`` is succeeded | failed | pending."""

    intent_id: str
    status: str
    amount_fen: int
    order_id: str | None = None
    decline_code: str | None = None
    invoice_id: str | None = None


@dataclass(frozen=True)
class ProviderCharge:
    charge_id: str
    intent_id: str | None
    amount_fen: int
    refunded_fen: int
    currency: str
    succeeded: bool


def next_action(provider: str, order: Order) -> PaymentStart:
    return PaymentStart(provider, f"order:{order.id}", {
        "type": "pay", "provider": provider, "reference": f"order:{order.id}",
        "amount_fen": order.amount_fen, "currency": order.currency,
        "instructions": f"POST a payment method to /api/v1/orders/{order.id}/pay; the "
                        "license activates when the provider confirms the payment."})


def intent_state(intent: dict[str, Any]) -> IntentState:
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    if status == "succeeded":
        mapped = "succeeded"
    elif status == "canceled" or (status == "requires_payment_method" and error):
        mapped = "failed"
    else:
        mapped = "pending"
    metadata = intent.get("metadata") or {}
    return IntentState(intent["id"], mapped, int(intent.get("amount") or 0),
                       metadata.get("order_id"), error.get("decline_code") or error.get("code"),
                       metadata.get("invoice_id"))


class StripePaymentGateway:
    provider = "stripe"

    def __init__(self, client: StripeClient) -> None:
        self.client = client

    def start(self, order: Order) -> PaymentStart:
        return next_action(self.provider, order)

    def pay(self, order: Order, attempt_id: str, payment_method: str) -> IntentState:
        try:
            intent = self.client.create_payment_intent(
                attempt_id, amount_fen=order.amount_fen, currency=order.currency,
                order_id=order.id, payment_method=payment_method, confirm=True)
        except CardDeclined as exc:
            return IntentState(exc.payment_intent_id or f"declined:{attempt_id}", "failed",
                               order.amount_fen, order.id, exc.decline_code or exc.code)
        return intent_state(intent)

    def retrieve(self, intent_id: str) -> IntentState:
        return intent_state(self.client.retrieve_payment_intent(intent_id))

    def cancel(self, reference: str, txn_id: str) -> IntentState:
        """Cancel an open intent; one the provider finished first is reported as it is."""
        try:
            return intent_state(self.client.cancel_payment_intent(txn_id, reference))
        except IdempotencyKeyReused:
            raise
        except ProviderRejected:  # no longer cancellable: succeeded, or cancelled before
            return self.retrieve(reference)

    def refund(self, refund_id: str, intent_id: str, amount_fen: int) -> str:
        return self.client.create_refund(refund_id, payment_intent=intent_id,
                                         amount_fen=amount_fen)["id"]

    def open_invoice(self, invoice_id: str, amount_fen: int, currency: str) -> IntentState:
        """An unconfirmed intent the buyer confirms with the provider."""
        return intent_state(self.client.create_payment_intent(
            invoice_id, amount_fen=amount_fen, currency=currency, order_id=None,
            metadata={"invoice_id": invoice_id}))

    def pay_invoice(self, attempt_id: str, intent_id: str, payment_method: str) -> IntentState:
        """Attach the method to the invoice's intent and confirm it (two calls: localstripe
        cannot confirm with a method). An intent the provider already captured (e.g. a
        concurrent attempt won) is reported as it is."""
        try:
            self.client.update_payment_intent(attempt_id, intent_id,
                                              payment_method=payment_method)
            return intent_state(self.client.confirm_payment_intent(attempt_id, intent_id))
        except CardDeclined as exc:
            return IntentState(intent_id, "failed", 0, None, exc.decline_code or exc.code)
        except IdempotencyKeyReused:
            raise
        except ProviderRejected:
            state = self.retrieve(intent_id)
            if state.status != "succeeded":
                raise
            return state

    def charges(self) -> Iterator[ProviderCharge]:
        for c in self.client.list_charges():
            yield ProviderCharge(c["id"], c.get("payment_intent"), int(c["amount"]),
                                 int(c.get("amount_refunded") or 0),
                                 str(c.get("currency", "")).upper(),
                                 c.get("status") == "succeeded")


def install(app: Flask) -> None:
    """Install the gateway ``PAYMENTS_GATEWAY`` names, unless one is installed already."""
    if EXTENSION in app.extensions:
        return
    choice = app.config["PAYMENTS_GATEWAY"]
    if choice == "stripe":
        app.extensions[EXTENSION] = StripePaymentGateway(StripeClient.from_config(app.config))
    elif choice == "fake":
        from marketplace.payments.simulated import SimulatedGateway

        app.extensions[EXTENSION] = SimulatedGateway(app)
    else:
        raise ValueError(f"PAYMENTS_GATEWAY must be 'stripe' or 'fake', not {choice!r}")
