"""Backoff, configuration and error mapping of the payments transport (issue 6 §1)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from marketplace.config import load
from marketplace.payments.errors import CardDeclined, PaymentProviderUnavailable
from marketplace.payments.stripe_api import StripeClient, latest_charge_id
from marketplace.payments.transport import RetryPolicy


@given(st.integers(0, 30), st.integers(0, 2**32), st.floats(0.01, 2), st.floats(2, 60))
def test_backoff_grows_exponentially_with_bounded_jitter(
        attempt: int, seed: int, base: float, cap: float) -> None:
    policy = RetryPolicy(max_retries=5, base_delay=base, max_delay=cap)
    ceiling = min(cap, base * 2 ** attempt)
    delay = policy.delay(attempt, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling
    assert policy.delay(attempt + 1, random.Random(seed)) >= ceiling / 2


def test_client_from_the_documented_settings() -> None:
    settings = load(environ={"ELX_PAYMENTS_TIMEOUT_SECONDS": "12.5"})
    transport = StripeClient.from_config(settings).transport
    assert transport.base_url == "http://127.0.0.1:8420"
    assert transport.timeout == (5.0, 12.5)
    short = StripeClient.from_config({**settings, "PAYMENTS_TIMEOUT_SECONDS": 2}).transport
    assert short.timeout == (2.0, 2.0)


def test_provider_errors_render_as_problems_without_provider_internals() -> None:
    declined = CardDeclined("Your card was declined.", code="card_declined",
                            decline_code="generic_decline", charge_id="ch_1")
    assert declined.to_problem() == {
        "type": "https://elx.example/problems/card-declined", "title": "Card declined",
        "status": 402, "detail": "Your card was declined.", "code": "card_declined",
        "decline_code": "generic_decline"}
    down = PaymentProviderUnavailable(provider_status=503,
                                      provider_error={"message": "db shard 7 down"})
    assert "shard" not in str(down.to_problem()) and down.headers() == {"Retry-After": "30"}


def test_latest_charge_as_id_or_object() -> None:
    assert latest_charge_id({"latest_charge": "ch_1"}) == "ch_1"
    assert latest_charge_id({"latest_charge": {"id": "ch_2"}}) == "ch_2"
    assert latest_charge_id({"latest_charge": None}) is None
