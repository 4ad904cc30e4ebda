"""The slice of the Stripe API elx uses, over :class:`~.transport.Transport` (no SDK).

PaymentIntents (https://docs.stripe.com/api/payment_intents): create (optionally confirming
with a payment method), update, confirm, retrieve, cancel; Refunds (https://docs.stripe.com/api/refunds),
full or partial; and auto-paginated lists of Charges and Balance Transactions
(https://docs.stripe.com/api/pagination: ``limit`` + ``starting_after``, ``has_more``).

Every POST's Idempotency-Key is derived from *our* transaction id
(:func:`~.form.idempotency_key`), so calling again for the same transaction — after a timeout,
a crash, a double click — returns the provider's first result instead of charging twice. A new
attempt to pay (another card after a decline) needs a new transaction id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from marketplace.payments.errors import PaymentProviderError
from marketplace.payments.form import idempotency_key
from marketplace.payments.transport import RetryPolicy, Transport

_OBJECT_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def _id(value: str) -> str:
    if not _OBJECT_ID.fullmatch(value):
        raise ValueError(f"not a provider object id: {value!r}")
    return value


def _amount(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("amounts are positive integers in minor units")
    return value


def latest_charge_id(intent: Mapping[str, Any]) -> str | None:
    """The id of an intent's latest charge: Stripe sends the id, localstripe the object."""
    charge = intent.get("latest_charge")
    if isinstance(charge, Mapping):
        return charge.get("id")
    return charge


class StripeClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **options: Any) -> StripeClient:
        """From ``STRIPE_API_BASE``, ``STRIPE_SECRET_KEY`` and ``PAYMENTS_TIMEOUT_SECONDS``
        (read timeout; the connect timeout is the smaller of it and 5 s)."""
        read = float(config["PAYMENTS_TIMEOUT_SECONDS"])
        options.setdefault("timeout", (min(5.0, read), read))
        return cls(Transport(config["STRIPE_API_BASE"], config["STRIPE_SECRET_KEY"], **options))

    # -- PaymentIntents ----------------------------------------------------------------
    def create_payment_intent(self, txn_id: str, *, amount_fen: int, currency: str,
                              order_id: str | None, payment_method: str | None = None,
                              confirm: bool = False,
                              metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Create an intent for ``order_id`` (None: for something else, named in
        ``metadata``); with ``confirm`` and a ``payment_method`` the card is charged at once
        (a decline raises :class:`~.errors.CardDeclined`)."""
        if not _CURRENCY.fullmatch(currency):
            raise ValueError(f"not a currency code: {currency!r}")
        params: dict[str, Any] = {
            "amount": _amount(amount_fen), "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": {**(metadata or {}), "order_id": order_id, "elx_txn": txn_id},
            "payment_method": payment_method, "confirm": True if confirm else None}
        return self.transport.request("POST", "/v1/payment_intents", params,
                                      idempotency_key=idempotency_key(txn_id, "intent.create"))

    def confirm_payment_intent(self, txn_id: str, intent_id: str,
                               payment_method: str | None = None) -> dict[str, Any]:
        return self.transport.request(
            "POST", f"/v1/payment_intents/{_id(intent_id)}/confirm",
            {"payment_method": payment_method},
            idempotency_key=idempotency_key(txn_id, "intent.confirm"))

    def update_payment_intent(self, txn_id: str, intent_id: str, *,
                              payment_method: str) -> dict[str, Any]:
        """Attach ``payment_method`` to an open intent (then :meth:`confirm_payment_intent`)."""
        return self.transport.request(
            "POST", f"/v1/payment_intents/{_id(intent_id)}",
            {"payment_method": _id(payment_method)},
            idempotency_key=idempotency_key(txn_id, "intent.update"))

    def cancel_payment_intent(self, txn_id: str, intent_id: str) -> dict[str, Any]:
        return self.transport.request(
            "POST", f"/v1/payment_intents/{_id(intent_id)}/cancel", {},
            idempotency_key=idempotency_key(txn_id, "intent.cancel"))

    def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        return self.transport.request("GET", f"/v1/payment_intents/{_id(intent_id)}")

    # -- Refunds -----------------------------------------------------------------------
    def create_refund(self, txn_id: str, *, payment_intent: str, amount_fen: int | None = None,
                      metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Refund ``amount_fen`` (all of it when ``None``) of an intent's charge."""
        params = {"payment_intent": _id(payment_intent),
                  "amount": None if amount_fen is None else _amount(amount_fen),
                  "metadata": {**(metadata or {}), "elx_txn": txn_id}}
        return self.transport.request("POST", "/v1/refunds", params,
                                      idempotency_key=idempotency_key(txn_id, "refund.create"))

    # -- lists -------------------------------------------------------------------------
    def list_charges(self, *, created_after: int | None = None,
                     page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every charge (``created_after``: Unix seconds, exclusive), page by page."""
        params = {"created": {"gt": created_after}} if created_after is not None else {}
        return self._paginate("/v1/charges", params, page_size)

    def list_balance_transactions(self, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return self._paginate("/v1/balance_transactions", {}, page_size)

    def _paginate(self, path: str, params: Mapping[str, Any],
                  page_size: int) -> Iterator[dict[str, Any]]:
        if not 1 <= page_size <= 100:
            raise ValueError("page_size is 1..100")
        after: str | None = None
        seen: set[str] = set()
        while True:
            page = self.transport.request(
                "GET", path, {**params, "limit": page_size, "starting_after": after})
            items = page.get("data")
            if not isinstance(items, list):
                raise PaymentProviderError("The payment provider sent a malformed list.")
            for item in items:
                if item["id"] in seen:  # a cursor that does not advance would loop forever
                    raise PaymentProviderError("The payment provider's list repeated itself.")
                seen.add(item["id"])
                yield item
            if not page.get("has_more") or not items:
                return
            after = items[-1]["id"]


__all__ = ["RetryPolicy", "StripeClient", "Transport", "latest_charge_id"]
