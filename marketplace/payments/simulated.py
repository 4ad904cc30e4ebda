"""A provider-less payments gateway for tests and demos (issue 6 §1): the same calls as
:class:`~marketplace.payments.gateway.StripePaymentGateway`, answered from memory.
``pm_card_visa_chargeDeclined`` declines, ``pm_card_authenticationRequired`` stays pending,
every other payment method succeeds at once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from flask import Flask

from marketplace.orders.models import Order
from marketplace.orders.payments import FakePaymentGateway, PaymentStart
from marketplace.payments.gateway import (
    DECLINED_METHODS,
    PENDING_METHODS,
    IntentState,
    ProviderCharge,
    next_action,
)

__all__ = ["SimulatedGateway"]


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
        started = next_action("fake", order)
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
