"""localstripe (https://github.com/adrienverge/localstripe, 1.15) served for tests and dev.

``python -m marketplace.payments.devserver --port N [--webhook URL --secret S]`` runs
localstripe's own aiohttp application — a real process speaking the Stripe API over HTTP —
with four changes, each closing a gap between localstripe and Stripe that elx's tests depend
on:

1. it listens on 127.0.0.1 only (the ``localstripe`` command binds ``::``, every interface);
2. its store stays in memory (the command pickles everything to the fixed, shared path
   ``/tmp/localstripe.pickle`` after every write — parallel test workers would share it);
3. ``pm_card_visa_chargeDeclined`` (card 4000000000000002) is declined when *charged*, as on
   Stripe (localstripe only declines it when attached to a customer), and a charge decline is
   answered in Stripe's shape: HTTP 402, ``type`` ``card_error``, ``code`` ``card_declined``,
   ``decline_code`` ``generic_decline``, the ``charge`` id and the ``payment_intent``;
4. ``Idempotency-Key`` is honoured as Stripe documents (https://docs.stripe.com/api/idempotent_
   requests): the first result of a POST is saved per (API key, idempotency key) and replayed
   with ``Idempotent-Replayed: true``; the same key with other parameters is a 400
   ``idempotency_error``; a concurrent duplicate is a 409. localstripe ignores the header.

Webhooks: ``POST /_config/webhooks/<name>`` with ``url``, ``secret`` and optionally ``events``
(a list of event types); events are POSTed ~1 s after they happen, signed
``Stripe-Signature: t=<event.created>,v1=<hex>`` (one v1), never retried.
``DELETE /_config/data`` empties the store (registered webhooks stay). ``--webhook`` registers
one at start (``make run`` points it at the app's ``/api/v1/payments/webhook``).

Dev tooling: it needs the ``test`` extra (localstripe, aiohttp); the service never imports it.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import register_webhook

DECLINED_WHEN_CHARGED = "4000000000000002"  # pm_card_visa_chargeDeclined
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _patch_store() -> None:
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]


def _patch_declines() -> None:
    charging = resources.PaymentMethod._charging_is_declined

    def declined(self: Any) -> bool:
        number = getattr(self, "_card_number", None)
        return bool(charging(self)) or number == DECLINED_WHEN_CHARGED

    def raise_failure(self: Any) -> None:
        contents: dict[str, Any] = {"code": self.failure_code, "charge": self.id,
                                    "decline_code": "generic_decline"}
        if self.payment_intent:
            contents["payment_intent"] = resources.PaymentIntent._api_retrieve(
                self.payment_intent)._export()
        error = UserError(402, self.failure_message, contents)
        error.body["error"]["type"] = "card_error"
        raise error

    resources.PaymentMethod._charging_is_declined = declined  # type: ignore[method-assign]
    resources.Charge._raise_failure = raise_failure  # type: ignore[method-assign]


def _error(status: int, message: str) -> web.Response:
    return server.json_response(
        {"error": {"type": "idempotency_error", "message": message}}, status=status)


def idempotency_middleware() -> Any:
    saved: dict[tuple[str, str], tuple[bytes, int, bytes]] = {}
    running: set[tuple[str, str]] = set()

    @web.middleware
    async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        fingerprint = f"{request.path}\n".encode() + await request.read()
        if scope in saved:
            first, status, body = saved[scope]
            if first != fingerprint:
                return _error(400, "Keys for idempotent requests can only be used with the "
                                   "same parameters they were first used with.")
            return web.Response(status=status, body=body, content_type="application/json",
                                headers={"Idempotent-Replayed": "true"})
        if scope in running:
            return _error(409, "There is currently another in-progress request using this "
                               "Idempotent Key.")
        running.add(scope)
        try:
            response = await handler(request)
        finally:
            running.discard(scope)
        if response.status < 500 and isinstance(response, web.Response):
            saved[scope] = (fingerprint, response.status, bytes(response.body or b""))
        return response

    return idempotency


def build_app() -> web.Application:
    _patch_store()
    _patch_declines()
    server.app.middlewares.insert(0, idempotency_middleware())
    return server.app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook", help="deliver events to this URL")
    parser.add_argument("--secret", default="whsec_elx_dev", help="the webhook signing secret")
    args = parser.parse_args()
    if args.webhook:
        register_webhook("elx", args.webhook, args.secret, None)
    web.run_app(build_app(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
