"""What the payment provider's answers become (https://docs.stripe.com/api/errors).

::

    DomainError
    ├── PaymentRequired 402
    │   └── CardDeclined                 Stripe 402 card_error; carries ``decline_code``
    └── PaymentProviderError 502         any other failure of the provider call
        ├── PaymentProviderUnavailable 503   network errors / 5xx, after the retries
        └── ProviderRejected 502             a 4xx other than 402: our request was wrong
            └── IdempotencyKeyReused          same Idempotency-Key, different parameters

Nothing the provider says reaches a client except the card decline codes (they are meant for
the payer); the rest is kept on attributes for logs.
"""

from __future__ import annotations

from typing import Any

from marketplace.errors import DomainError, PaymentRequired


class CardDeclined(PaymentRequired):
    """The card was declined (HTTP 402 from Stripe, ``type`` ``card_error``)."""

    slug, title = "card-declined", "Card declined"

    def __init__(self, detail: str | None = None, *, code: str | None = None,
                 decline_code: str | None = None, payment_intent_id: str | None = None,
                 charge_id: str | None = None) -> None:
        super().__init__(detail or "The card was declined.", code=code,
                         decline_code=decline_code)
        self.code = code
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id
        self.charge_id = charge_id


class PaymentProviderError(DomainError):
    status, slug, title = 502, "payment-provider-error", "Payment provider error"

    def __init__(self, detail: str | None = None, *, provider_status: int | None = None,
                 provider_error: dict[str, Any] | None = None) -> None:
        super().__init__(detail or "The payment provider could not complete the request.")
        self.provider_status = provider_status
        self.provider_error = provider_error or {}

    @property
    def code(self) -> str | None:
        return self.provider_error.get("code")


class PaymentProviderUnavailable(PaymentProviderError):
    status, slug, title = 503, "payment-provider-unavailable", "Payment provider unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "30"}


class ProviderRejected(PaymentProviderError):
    """A 4xx (not 402) from the provider: invalid parameters, unknown object, bad key."""


class IdempotencyKeyReused(ProviderRejected):
    """Stripe ``idempotency_error``: the key was used before with other parameters."""
