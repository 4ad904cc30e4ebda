"""The orders' payment seam (``marketplace.orders.payments.PaymentGateway``) over the Stripe API,
and a provider-less simulation of it for tests and demos (issue 6 §1; DESIGN.md convention 4).

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

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask

from marketplace.orders.models import Order
from marketplace.orders.payments import EXTENSION, FakePaymentGateway, PaymentStart
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


def _next_action(provider: str, order: Order) -> PaymentStart:
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
        return _next_action(self.provider, order)

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


class SimulatedGateway(FakePaymentGateway):
    """The fake of the orders package, plus the other calls kept in memory:
    ``pm_card_visa_chargeDeclined`` declines, ``pm_card_authenticationRequired`` stays
    pending, every other method succeeds at once."""

    def __init__(self, app: Flask | None = None) -> None:
        super().__init__(app)
        self.intents: dict[str, IntentState] = {}
        self.refunds: dict[str, tuple[str, int]] = {}
        self.invoice_attempts: dict[str, IntentState] = {}  # attempt id → its answer
        self._ids = itertools.count(1)

    def start(self, order: Order) -> PaymentStart:
        started = _next_action("fake", order)
        self.started[order.id] = started
        return started

    def pay(self, order: Order, attempt_id: str, payment_method: str) -> IntentState:
        intent_id = f"pi_fake_{attempt_id}"
        if intent_id not in self.intents:  # the same attempt replays its first answer
            declined = payment_method in DECLINED_METHODS
            status = "failed" if declined else (
                "pending" if payment_method in PENDING_METHODS else "succeeded")
            self.intents[intent_id] = IntentState(
                intent_id, status, order.amount_fen, order.id,
                "generic_decline" if declined else None)
        return self.intents[intent_id]

    def retrieve(self, intent_id: str) -> IntentState:
        return self.intents[intent_id]

    def cancel(self, reference: str, txn_id: str) -> IntentState:
        intent = self.intents[reference]
        if intent.status == "pending":
            intent = self.intents[reference] = replace(intent, status="failed",
                                                       decline_code="canceled")
        self.cancelled.setdefault(reference, txn_id)
        return intent

    def open_invoice(self, invoice_id: str, amount_fen: int, currency: str) -> IntentState:
        intent_id = f"pi_fake_{invoice_id}"
        return self.intents.setdefault(intent_id, IntentState(
            intent_id, "pending", amount_fen, invoice_id=invoice_id))

    def pay_invoice(self, attempt_id: str, intent_id: str, payment_method: str) -> IntentState:
        """Confirm the invoice's intent; the same attempt replays its first answer."""
        if attempt_id not in self.invoice_attempts:
            intent = self.intents[intent_id]
            if intent.status == "pending":
                declined = payment_method in DECLINED_METHODS
                status = "failed" if declined else (
                    "pending" if payment_method in PENDING_METHODS else "succeeded")
                intent = replace(intent, status=status,
                                 decline_code="generic_decline" if declined else None)
                # a declined intent waits for another method, as at the provider
                self.intents[intent_id] = replace(intent, status="pending") \
                    if declined else intent
            self.invoice_attempts[attempt_id] = intent
        return self.invoice_attempts[attempt_id]

    def refund(self, refund_id: str, intent_id: str, amount_fen: int) -> str:
        provider_id = f"re_fake_{refund_id}"
        self.refunds.setdefault(provider_id, (intent_id, amount_fen))
        return provider_id

    def charges(self) -> Iterator[ProviderCharge]:
        for intent in list(self.intents.values()):
            refunded = sum(a for i, a in self.refunds.values() if i == intent.intent_id)
            yield ProviderCharge(f"ch_{intent.intent_id}", intent.intent_id, intent.amount_fen,
                                 refunded, "", intent.status == "succeeded")

    def confirm(self, order_id: str) -> Any:
        """Report the order's payment as succeeded, as a webhook would (journal included)."""
        from marketplace.payments import settle

        with self._context():
            reference = self.started[order_id].reference if order_id in self.started \
                else order_id
            return settle.succeeded(order_id, reference).state

    def set_status(self, intent_id: str, status: str) -> None:
        """Tests: the provider changed its mind (e.g. a delayed success)."""
        self.intents[intent_id] = replace(self.intents[intent_id], status=status)


def install(app: Flask) -> None:
    """Install the gateway ``PAYMENTS_GATEWAY`` names, unless one is installed already."""
    if EXTENSION in app.extensions:
        return
    choice = app.config["PAYMENTS_GATEWAY"]
    if choice == "stripe":
        app.extensions[EXTENSION] = StripePaymentGateway(StripeClient.from_config(app.config))
    elif choice == "fake":
        app.extensions[EXTENSION] = SimulatedGateway(app)
    else:
        raise ValueError(f"PAYMENTS_GATEWAY must be 'stripe' or 'fake', not {choice!r}")
