"""The payments client against a real localstripe process (issue 6 acceptance): a successful
card, a declined card (``pm_card_visa_chargeDeclined``), retrieve, cancel, full and partial
refunds, listing charges and balance transactions page by page, idempotent retries — including
a POST whose answer is lost on the way back — and signed webhooks checked by our verifier."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from marketplace.payments.errors import CardDeclined, IdempotencyKeyReused
from marketplace.payments.stripe_api import StripeClient, latest_charge_id
from marketplace.payments.transport import RetryPolicy
from marketplace.payments.webhooks import NoValidSignature, verify_signature
from tests.integration.scripted_http import Forward, scripted
from tests.payments_server import LocalStripe, localstripe  # noqa: F401 - the fixture


@pytest.fixture
def stripe(localstripe: LocalStripe) -> StripeClient:  # noqa: F811 - the fixture
    localstripe.flush()
    return StripeClient.from_config(localstripe.config, sleep=lambda s: None)


def pay(stripe: StripeClient, txn: str, amount: int = 12_345, pm: str = "pm_card_visa",
        **kw: Any) -> dict[str, Any]:
    return stripe.create_payment_intent(txn, amount_fen=amount, currency="CNY",
                                        order_id=f"ord_{txn}", payment_method=pm,
                                        confirm=True, **kw)


def test_a_successful_card_payment(stripe: StripeClient) -> None:
    intent = pay(stripe, "t1", metadata={"buyer_org": "org_b"})
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 12_345,
                                                                        "cny")
    assert intent["metadata"] == {"order_id": "ord_t1", "elx_txn": "t1", "buyer_org": "org_b"}
    assert latest_charge_id(intent)
    again = stripe.retrieve_payment_intent(intent["id"])
    assert (again["id"], again["status"]) == (intent["id"], "succeeded")


def test_a_declined_card_raises_card_declined(stripe: StripeClient) -> None:
    with pytest.raises(CardDeclined) as exc:
        pay(stripe, "t2", pm="pm_card_visa_chargeDeclined")
    declined = exc.value
    assert (declined.status, declined.code, declined.decline_code) == (
        402, "card_declined", "generic_decline")
    intent = stripe.retrieve_payment_intent(declined.payment_intent_id or "")
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "card_declined"


def test_confirm_later_and_cancel(stripe: StripeClient) -> None:
    intent = stripe.create_payment_intent("t3", amount_fen=500, currency="CNY",
                                          order_id="ord_t3", payment_method="pm_card_visa")
    assert intent["status"] == "requires_confirmation"
    assert stripe.confirm_payment_intent("t3", intent["id"])["status"] == "succeeded"
    other = stripe.create_payment_intent("t4", amount_fen=500, currency="CNY",
                                         order_id="ord_t4")
    assert stripe.cancel_payment_intent("t4", other["id"])["status"] == "canceled"


def test_full_and_partial_refunds(stripe: StripeClient) -> None:
    full = pay(stripe, "t5", amount=1_000)
    refund = stripe.create_refund("re_t5", payment_intent=full["id"])
    assert (refund["amount"], refund["status"]) == (1_000, "succeeded")
    assert refund["metadata"] == {"elx_txn": "re_t5"}
    partial = pay(stripe, "t6", amount=1_000)
    amounts = [stripe.create_refund(f"re_t6_{i}", payment_intent=partial["id"],
                                    amount_fen=a)["amount"] for i, a in enumerate((300, 200))]
    assert amounts == [300, 200]
    charges = {c["id"]: c for c in stripe.list_charges()}
    assert charges[latest_charge_id(full)]["refunded"] is True
    assert charges[latest_charge_id(partial)]["amount_refunded"] == 500


def test_lists_walk_every_page(stripe: StripeClient) -> None:
    intents = [pay(stripe, f"l{i}", amount=100 + i) for i in range(5)]
    stripe.create_refund("re_l0", payment_intent=intents[0]["id"], amount_fen=40)
    charges = list(stripe.list_charges(page_size=2))
    assert sorted(c["amount"] for c in charges) == [100, 101, 102, 103, 104]
    moves = list(stripe.list_balance_transactions(page_size=2))
    assert sorted(m["amount"] for m in moves) == [-40, 100, 101, 102, 103, 104]
    assert len({m["id"] for m in moves}) == 6


def test_the_same_transaction_gets_the_same_intent(stripe: StripeClient) -> None:
    first, again = pay(stripe, "t7"), pay(stripe, "t7")
    assert again["id"] == first["id"]
    assert pay(stripe, "t8")["id"] != first["id"]
    with pytest.raises(IdempotencyKeyReused):
        pay(stripe, "t7", amount=1)


def test_a_lost_answer_is_retried_without_paying_twice(localstripe: LocalStripe,  # noqa: F811
                                                       stripe: StripeClient) -> None:
    upstream = localstripe.base_url
    with scripted(Forward(upstream, lose_answer=True), Forward(upstream)) as proxy:
        lossy = StripeClient.from_config({**localstripe.config, "STRIPE_API_BASE": proxy.url},
                                         retry=RetryPolicy(2, 0.01), sleep=lambda s: None)
        intent = pay(lossy, "t9", amount=777)
    assert len(proxy.seen) == 2 and intent["status"] == "succeeded"
    charges = [c for c in stripe.list_charges() if c["amount"] == 777]
    assert [c["payment_intent"] for c in charges] == [intent["id"]]  # charged once


class _Inbox(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
    _Inbox.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Inbox.received
    server.shutdown()
    server.server_close()


def test_localstripe_webhooks_verify_with_our_checker(
        localstripe: LocalStripe, stripe: StripeClient,  # noqa: F811
        inbox: tuple[str, list[tuple[bytes, str]]]) -> None:
    url, received = inbox
    localstripe.register_webhook(url, "whsec_hooks", events=["payment_intent.succeeded"])
    intent = pay(stripe, "t10")
    deadline = time.monotonic() + 10
    ours: list[tuple[bytes, str]] = []
    while not ours and time.monotonic() < deadline:  # earlier tests' events may come first
        time.sleep(0.1)
        ours = [(b, h) for b, h in received if intent["id"].encode() in b]
    assert ours, "no webhook arrived"
    body, header = ours[0]
    verify_signature(body, header, ["whsec_old", "whsec_hooks"], now=time.time())
    with pytest.raises(NoValidSignature):
        verify_signature(body, header, ["whsec_other"], now=time.time())
