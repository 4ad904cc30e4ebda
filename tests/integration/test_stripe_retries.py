"""The payments client's transport over real HTTP (issue 6 §1): retries with backoff on
connection errors, timeouts and 5xx — each retry of a POST with the same Idempotency-Key and
body — and never on a 4xx; Stripe's form encoding and auth on the wire; pagination."""

from __future__ import annotations

import random
from typing import Any

import pytest

from marketplace.payments.errors import (
    CardDeclined,
    IdempotencyKeyReused,
    PaymentProviderError,
    PaymentProviderUnavailable,
    ProviderRejected,
)
from marketplace.payments.stripe_api import StripeClient
from marketplace.payments.transport import RetryPolicy, Transport
from tests.integration.scripted_http import Drop, Reply, scripted
from tests.payments_server import free_port

INTENT = {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}


def client(url: str, sleeps: list[float], read_timeout: float = 2.0) -> StripeClient:
    return StripeClient(Transport(url, "sk_test_retries", timeout=(1.0, read_timeout),
                                  retry=RetryPolicy(max_retries=2, base_delay=0.5),
                                  sleep=sleeps.append, rng=random.Random(7)))


def create(c: StripeClient) -> dict[str, Any]:
    return c.create_payment_intent("pay_1", amount_fen=1999, currency="CNY", order_id="ord_1",
                                   payment_method="pm_card_visa", confirm=True)


def test_5xx_is_retried_with_backoff_and_the_same_key_and_body() -> None:
    sleeps: list[float] = []
    with scripted(Reply(503), Reply(500, b"<html>oops</html>"), Reply(200, INTENT)) as server:
        assert create(client(server.url, sleeps)) == INTENT
    assert len(server.seen) == 3
    assert {s.headers["Idempotency-Key"] for s in server.seen} == {"elx-intent.create-pay_1"}
    assert all(s.form == server.seen[0].form for s in server.seen)
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # 0.5·2ⁿ, equal jitter


def test_the_request_is_form_encoded_and_authenticated_as_stripe_expects() -> None:
    with scripted(Reply(200, INTENT)) as server:
        create(client(server.url, []))
    seen = server.seen[0]
    assert (seen.method, seen.path) == ("POST", "/v1/payment_intents")
    assert seen.headers["Authorization"] == "Bearer sk_test_retries"
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(seen.form) == {
        "amount": "1999", "currency": "cny", "payment_method_types[0]": "card",
        "metadata[order_id]": "ord_1", "metadata[elx_txn]": "pay_1",
        "payment_method": "pm_card_visa", "confirm": "true"}


def test_persistent_5xx_gives_up_as_unavailable() -> None:
    sleeps: list[float] = []
    with scripted(Reply(502)) as server, pytest.raises(PaymentProviderUnavailable) as exc:
        create(client(server.url, sleeps))
    assert len(server.seen) == 3 and len(sleeps) == 2
    assert exc.value.status == 503 and exc.value.provider_status == 502


@pytest.mark.parametrize(("status", "error", "raised"), [
    (400, {"type": "invalid_request_error", "code": "parameter_missing"}, ProviderRejected),
    (400, {"type": "idempotency_error"}, IdempotencyKeyReused),
    (401, {"type": "invalid_request_error"}, ProviderRejected),
    (404, {"type": "invalid_request_error", "code": "resource_missing"}, ProviderRejected),
    (409, {"type": "idempotency_error"}, IdempotencyKeyReused),
    (429, {"type": "invalid_request_error", "code": "rate_limit"}, ProviderRejected),
    (402, {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
           "charge": "ch_1", "payment_intent": {"id": "pi_1"}}, CardDeclined),
])
def test_a_4xx_is_final_and_never_retried(status: int, error: dict[str, Any],
                                          raised: type[Exception]) -> None:
    sleeps: list[float] = []
    with scripted(Reply(status, {"error": error}), Reply(200, INTENT)) as server, \
            pytest.raises(raised) as exc:
        create(client(server.url, sleeps))
    assert len(server.seen) == 1 and sleeps == []
    if raised is CardDeclined:
        declined = exc.value
        assert isinstance(declined, CardDeclined)
        assert (declined.decline_code, declined.payment_intent_id, declined.charge_id) == (
            "insufficient_funds", "pi_1", "ch_1")
        assert declined.to_problem()["decline_code"] == "insufficient_funds"
    else:
        assert exc.value.provider_status == status  # type: ignore[attr-defined]


def test_connection_refused_is_retried_then_unavailable() -> None:
    sleeps: list[float] = []
    with pytest.raises(PaymentProviderUnavailable):
        create(client(f"http://127.0.0.1:{free_port()}", sleeps))
    assert len(sleeps) == 2


def test_a_dropped_connection_and_a_read_timeout_are_retried() -> None:
    sleeps: list[float] = []
    with scripted(Drop(), Reply(200, INTENT, delay=1.0), Reply(200, INTENT)) as server:
        assert create(client(server.url, sleeps, read_timeout=0.3)) == INTENT
    assert len(server.seen) == 3 and len(sleeps) == 2


def test_an_unreadable_success_is_an_error_not_retried() -> None:
    with scripted(Reply(200, b"not json")) as server, pytest.raises(PaymentProviderError):
        create(client(server.url, []))
    assert len(server.seen) == 1


def test_lists_follow_starting_after_and_get_is_retried_too() -> None:
    page1 = {"object": "list", "has_more": True, "data": [{"id": "ch_1"}, {"id": "ch_2"}]}
    page2 = {"object": "list", "has_more": False, "data": [{"id": "ch_3"}]}
    with scripted(Reply(500), Reply(200, page1), Reply(200, page2)) as server:
        ids = [c["id"] for c in client(server.url, []).list_charges(page_size=2)]
    assert ids == ["ch_1", "ch_2", "ch_3"]
    assert [dict(s.query) for s in server.seen] == [
        {"limit": "2"}, {"limit": "2"}, {"limit": "2", "starting_after": "ch_2"}]
    assert all("Idempotency-Key" not in s.headers for s in server.seen)


def test_a_list_that_does_not_advance_is_refused_not_looped() -> None:
    stuck = {"object": "list", "has_more": True, "data": [{"id": "txn_1"}]}
    with scripted(Reply(200, stuck)) as server, pytest.raises(PaymentProviderError):
        list(client(server.url, []).list_balance_transactions())
    assert len(server.seen) == 2


def test_every_post_needs_a_key_and_amounts_are_integers() -> None:
    transport = Transport("http://127.0.0.1:1", "sk_test_x")
    with pytest.raises(ValueError):
        transport.request("POST", "/v1/refunds", {})
    for bad in (0, -1, 19.99, True):
        with pytest.raises(ValueError):
            StripeClient(transport).create_payment_intent(
                "pay_1", amount_fen=bad, currency="CNY", order_id="ord_1")  # type: ignore[arg-type]
