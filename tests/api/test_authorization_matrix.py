"""Every route × every kind of caller → the expected status (issue 3, item 3).

The table below must name every route the app serves (the test enumerates ``url_map``), and every
view must declare its authorisation action. Callers include members of *another* organisation of
the same kind (``rival`` merchant, ``rival_buyer``), a pending organisation's founder, a person
with no organisation and a buyer's program using an API key.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.listing_world import in_state
from tests.api.world import ASSET, World, build_world

ROLES = ["anonymous", "operator", "auditor", "merchant", "member", "rival", "buyer",
         "rival_buyer", "assessor", "outsider", "pending", "buyer_key"]
PEOPLE = [r for r in ROLES if r not in ("anonymous", "buyer_key")]
_counter = itertools.count()


def _all(status: int, anonymous: int | None = None, key: int | None = None) -> dict[str, int]:
    table = dict.fromkeys(ROLES, status)
    if anonymous is not None:
        table["anonymous"] = anonymous
    if key is not None:
        table["buyer_key"] = key
    return table


def _only(allowed: dict[str, int], others: int, hidden: tuple[str, ...] = ()) -> dict[str, int]:
    table = {r: others for r in PEOPLE}
    table.update(dict.fromkeys(hidden, 404))
    table.update(allowed)
    table["anonymous"] = 401
    table["buyer_key"] = 403
    return table


OUTSIDERS_OF_A = ("rival", "buyer", "rival_buyer", "assessor", "outsider", "pending")
ASSET_READ = _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200}, 403,
                   hidden=OUTSIDERS_OF_A)


def _csv() -> dict[str, Any]:
    return {"data": "企业名称,注册资本\n德阳甲公司,100\n德阳乙公司,200\n".encode(),
            "content_type": "text/csv"}


# (method, rule) → (expected status per role, request builder)
Builder = Callable[[World, str], dict[str, Any]]
EXPECTED: dict[tuple[str, str], tuple[dict[str, int], Builder]] = {
    ("GET", "/api/v1/health"): (_all(200), lambda w, r: {}),
    ("POST", "/api/v1/users"): (_all(201), lambda w, r: {"json": {
        "email": f"new{next(_counter)}@example.org", "display_name": "n",
        "password": "long enough password"}}),
    ("POST", "/api/v1/auth/token"): (_all(200), lambda w, r: {"json": {
        "email": w["merchant"].email, "password": "correct horse battery staple"}}),
    ("POST", "/api/v1/auth/refresh"): (_all(200), lambda w, r: {"json": {
        "refresh_token": _fresh_refresh(w)}}),
    ("POST", "/api/v1/auth/logout"): (_all(204), lambda w, r: {"json": {
        "refresh_token": _fresh_refresh(w)}}),
    ("GET", "/api/v1/me"): (_all(200, anonymous=401), lambda w, r: {}),
    ("POST", "/api/v1/organizations"): (
        _all(201, anonymous=401, key=403),
        lambda w, r: {"json": {"name": f"org {next(_counter)}", "kind": "data_broker"}}),
    ("GET", "/api/v1/organizations/<org_id>"): (
        _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200}, 403,
              hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"org_id": w["merchant"].org_id}}),
    ("POST", "/api/v1/organizations/<org_id>/approve"): (
        _only({"operator": 200}, 403),
        lambda w, r: {"path": {"org_id": w["pending"].org_id}}),
    ("POST", "/api/v1/organizations/<org_id>/members"): (
        _only({"merchant": 201}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"org_id": w["merchant"].org_id}, "json": {
            "email": w.register(f"u{next(_counter)}").email, "role": "merchant_member"}}),
    ("POST", "/api/v1/api-keys"): (
        _only({"buyer": 201}, 403),
        lambda w, r: {"json": {"org_id": w["buyer"].org_id, "name": "k"}}),
    ("GET", "/api/v1/api-keys"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("DELETE", "/api/v1/api-keys/<key_id>"): (
        _only({"buyer": 204}, 404),
        lambda w, r: {"path": {"key_id": w.key_id}}),
    ("POST", "/api/v1/assets"): (
        _only({"merchant": 201, "member": 201}, 403),
        lambda w, r: {"json": {**ASSET, "owner_org_id": w["merchant"].org_id}}),
    ("GET", "/api/v1/assets"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("GET", "/api/v1/assets/<asset_id>"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("GET", "/api/v1/assets/<asset_id>/versions"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("POST", "/api/v1/assets/<asset_id>/versions"): (
        _only({"merchant": 201, "member": 201}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"asset_id": w.asset_id}, **_csv()}),
    ("GET", "/api/v1/assets/<asset_id>/certificate"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("POST", "/api/v1/elements"): (
        _only({"merchant": 201, "member": 201}, 403),
        lambda w, r: {"json": {"spec": _spec(w)}}),
    ("GET", "/api/v1/jobs/<job_id>"): (ASSET_READ, lambda w, r: {
        "path": {"job_id": _job(w, fresh=False)}}),
    ("POST", "/api/v1/jobs/<job_id>/cancel"): (
        _only({"merchant": 200, "member": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"job_id": _job(w, fresh=True)}}),
    ("GET", "/api/v1/elements/<element_id>"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/versions"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/quality"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/sample"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/ledger/checkpoint"): (_all(200), lambda w, r: {}),
    ("GET", "/api/v1/ledger/entries/<int:index>"): (_all(200), lambda w, r: {
        "path": {"index": 0}}),
    ("GET", "/api/v1/ledger/receipts/<int:index>"): (_all(200), lambda w, r: {
        "path": {"index": 0}}),
    ("GET", "/api/v1/ledger/proofs/inclusion"): (_all(200), lambda w, r: {
        "query": "index=0&tree_size=1"}),
    ("GET", "/api/v1/ledger/proofs/consistency"): (_all(200), lambda w, r: {
        "query": "first=1&second=2"}),
    ("GET", "/api/v1/ledger/public-keys"): (_all(200), lambda w, r: {}),
    ("GET", "/api/v1/ledger/export"): (_all(200), lambda w, r: {}),
    # --- valuations (issue 5) ---
    # Only an assessor of an approved agency may value (everyone else: 403 before any lookup).
    ("POST", "/api/v1/elements/<element_id>/valuations"): (
        _only({"assessor": 201}, 403),
        lambda w, r: {"path": {"element_id": _element(w)}, "json": {"methods": {"cost": {
            "cost_items": [{"category": "processing", "amount_fen": 100000}]}}}}),
    # The owner organisation and operator staff; the agency that valued it; others: hidden.
    ("GET", "/api/v1/elements/<element_id>/valuations"): (
        _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200,
               "assessor": 200}, 404),
        lambda w, r: {"path": {"element_id": w.ok(
            "POST", f"/elements/{_element(w)}/valuations", w["assessor"], status=201,
            json={"methods": {"cost": {"cost_items": [
                {"category": "processing", "amount_fen": 100000}]}}})["element_id"]}}),
    ("GET", "/api/v1/market/comparables"): (
        _only({"operator": 200, "auditor": 200, "assessor": 200}, 403), lambda w, r: {}),
    # An agency's own assessors declare; operator staff may read but not declare.
    ("POST", "/api/v1/organizations/<org_id>/affiliations"): (
        _only({"assessor": 201, "operator": 403, "auditor": 403}, 404),
        lambda w, r: {"path": {"org_id": w["assessor"].org_id}, "json": {
            "affiliated_org_id": w["rival"].org_id, "relation": "service_contract"}}),
    ("GET", "/api/v1/organizations/<org_id>/affiliations"): (
        _only({"assessor": 200, "operator": 200, "auditor": 200}, 404),
        lambda w, r: {"path": {"org_id": w["assessor"].org_id}}),
    # --- end valuations ---
    # --- listings and catalog (issue 5) ---
    # Drafts and the workflow are the merchant's and the operator's; other people cannot see
    # an unlisted listing (404). Once listed, it is public, so strangers get 403 on moves.
    ("POST", "/api/v1/listings"): (
        _only({"merchant": 201, "member": 201}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"json": {"element_id": _element(w), "domain": "企业",
                               "license_template": "internal-analytics",
                               "plans": [{"kind": "free"}]}}),
    ("GET", "/api/v1/listings"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("GET", "/api/v1/listings/<listing_id>"): (ASSET_READ, lambda w, r: {
        "path": {"listing_id": in_state(w, _element(w), "draft")}}),
    ("POST", "/api/v1/listings/<listing_id>/submit"): (
        _only({"merchant": 200, "member": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"listing_id": in_state(w, _element(w), "draft")}}),
    ("POST", "/api/v1/listings/<listing_id>/approve"): (
        _only({"operator": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"listing_id": in_state(w, _element(w), "submitted")}}),
    ("POST", "/api/v1/listings/<listing_id>/reject"): (
        _only({"operator": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"listing_id": in_state(w, _element(w), "submitted")},
                      "json": {"reason": "资料不全"}}),
    ("POST", "/api/v1/listings/<listing_id>/publish"): (
        _only({"merchant": 200, "member": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"listing_id": in_state(w, _element(w), "approved")}}),
    ("POST", "/api/v1/listings/<listing_id>/delist"): (
        _only({"merchant": 200, "member": 200, "operator": 200}, 403),
        lambda w, r: {"path": {"listing_id": in_state(w, _element(w), "listed")},
                      "json": {"reason": "停止供应"}}),
    # The catalog is public: anyone, with or without credentials (an API key included).
    ("GET", "/api/v1/catalog"): (_all(200), lambda w, r: {"query": "q=企业"}),
    # --- end listings ---
    # --- orders and licenses (issue 5) ---
    # Request builders live in tests/api/order_world.py (bound as the default argument ``ow``).
    # The terms of a listed listing are public to anyone signed in; people only.
    ("GET", "/api/v1/listings/<listing_id>/terms"): (
        _all(200, anonymous=401, key=403),
        lambda w, r, ow=__import__("tests.api.order_world", fromlist=["_"]):  # noqa: B008
            ow.terms_request(w, _element(w))),
    # Any approved buyer organisation's buyer may order (each call with a fresh key).
    ("POST", "/api/v1/orders"): (
        _only({"buyer": 201, "rival_buyer": 201}, 403),
        lambda w, r, ow=__import__("tests.api.order_world", fromlist=["_"]):  # noqa: B008
            ow.order_request(w, _element(w))),
    # The buying organisation and operator staff; everyone else: hidden.
    ("GET", "/api/v1/orders/<order_id>"): (
        _only({"operator": 200, "auditor": 200, "buyer": 200}, 404),
        lambda w, r, ow=__import__("tests.api.order_world", fromlist=["_"]):  # noqa: B008
            ow.order_path(w, _element(w))),
    # Everyone sees the licenses of their own organisations (possibly none).
    ("GET", "/api/v1/licenses"): (_all(200, anonymous=401), lambda w, r: {}),
    # Both parties (a buyer's program too) and operator staff; everyone else: hidden.
    ("GET", "/api/v1/licenses/<license_id>"): (
        {**_only({"operator": 200, "auditor": 200, "buyer": 200, "merchant": 200,
                  "member": 200}, 404), "buyer_key": 200},
        lambda w, r, ow=__import__("tests.api.order_world", fromlist=["_"]):  # noqa: B008
            ow.license_path(w, _element(w))),
    # Only an operator admin revokes; the parties and the auditor may see it but not act.
    ("POST", "/api/v1/licenses/<license_id>/revoke"): (
        _only({"operator": 200}, 403, hidden=("rival", "rival_buyer", "assessor", "outsider",
                                              "pending")),
        lambda w, r, ow=__import__("tests.api.order_world", fromlist=["_"]): {  # noqa: B008
            **ow.license_path(w, _element(w), fresh=True), "json": {"reason": "违反许可用途"}}),
    # --- end orders ---
    # --- payments and revenue (issue 6) ---
    # Request builders live in tests/api/payment_world.py (bound as the default ``pw``).
    # The buying organisation's buyers pay (a fresh pending order per call); others: hidden.
    ("POST", "/api/v1/orders/<order_id>/pay"): (
        _only({"buyer": 200}, 404),
        lambda w, r, pw=__import__("tests.api.payment_world", fromlist=["_"]):  # noqa: B008
            {"path": {"order_id": pw.pending_order(w)["id"]},
             "json": {"payment_method": "pm_card_visa"}}),
    # Only an operator admin refunds (a fresh paid order per call).
    ("POST", "/api/v1/orders/<order_id>/refund"): (
        _only({"operator": 201}, 403),
        lambda w, r, pw=__import__("tests.api.payment_world", fromlist=["_"]):  # noqa: B008
            {"path": {"order_id": pw.paid_order(w)["id"]}, "json": {"reason": "退款"},
             "headers": {"Idempotency-Key": f"refund-{next(_counter)}"}}),
    # Public, authenticated by its Stripe signature instead of credentials.
    ("POST", "/api/v1/payments/webhook"): (
        _all(200),
        lambda w, r, pw=__import__("tests.api.payment_world", fromlist=["_"]):  # noqa: B008
            pw.webhook_request()),
    # The books: operator staff only (the auditor reads); fees are set by operator admins.
    ("GET", "/api/v1/revenue/trial-balance"): (
        _only({"operator": 200, "auditor": 200}, 403), lambda w, r: {}),
    ("GET", "/api/v1/revenue/journal"): (
        _only({"operator": 200, "auditor": 200}, 403), lambda w, r: {}),
    ("GET", "/api/v1/revenue/reconciliation"): (
        _only({"operator": 200, "auditor": 200}, 403), lambda w, r: {}),
    ("GET", "/api/v1/audit/export"): (
        _only({"operator": 200, "auditor": 200}, 403), lambda w, r: {}),
    ("GET", "/api/v1/revenue/fee-schedules"): (
        _only({"operator": 200, "auditor": 200}, 403), lambda w, r: {}),
    ("POST", "/api/v1/revenue/fee-schedules"): (
        _only({"operator": 201}, 403),
        lambda w, r: {"json": {"currency": "CNY", "platform_bps": 1000,
                               "public_service_bps": 500, "minimum_fee_fen": 100,
                               "effective_from": f"2030-01-01T00:00:{next(_counter) % 60:02d}Z"}}),
    # A merchant's own statement (its members too); operator staff name the merchant.
    ("GET", "/api/v1/revenue/statements"): (
        _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200}, 403),
        lambda w, r: {"query": f"merchant_org_id={w['merchant'].org_id}"}),
    # Payouts: recorded by operator admins (1 fen of a payable per call); listed by operator
    # staff and by merchants' members (their own: the rival merchant sees an empty list).
    ("POST", "/api/v1/revenue/payouts"): (
        _only({"operator": 201}, 403),
        lambda w, r, bw=__import__("tests.api.billing_world", fromlist=["_"]):  # noqa: B008
            bw.payout_request(w)),
    ("GET", "/api/v1/revenue/payouts"): (
        _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200,
               "rival": 200}, 403), lambda w, r: {}),
    # Metered invoices: an operator admin runs a period; everyone lists their own; one
    # invoice: its buyer, its merchant and operator staff (others: hidden).
    ("POST", "/api/v1/revenue/invoices/run"): (
        _only({"operator": 200}, 403), lambda w, r: {"json": {"period": "2020-03"}}),
    ("GET", "/api/v1/revenue/invoices"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("GET", "/api/v1/revenue/invoices/<invoice_id>"): (
        _only({"operator": 200, "auditor": 200, "buyer": 200, "merchant": 200,
               "member": 200}, 404),
        lambda w, r, bw=__import__("tests.api.billing_world", fromlist=["_"]):  # noqa: B008
            bw.invoice_path(w)),
    # Paid by the invoiced organisation's buyers; those who read it otherwise: 403.
    ("POST", "/api/v1/revenue/invoices/<invoice_id>/pay"): (
        _only({"buyer": 200}, 404, hidden=()) | {
            r: 403 for r in ("operator", "auditor", "merchant", "member")},
        lambda w, r, bw=__import__("tests.api.billing_world", fromlist=["_"]):  # noqa: B008
            bw.pay_request(w)),
    # --- end payments and revenue ---
    # --- access (issue 7) ---
    # Request builders live in tests/api/access_world.py (bound as the default argument ``aw``).
    # The query policy is read wherever the element is (unlisted here: outsiders get 404).
    ("GET", "/api/v1/elements/<element_id>/query-policy"): (
        {**ASSET_READ, "buyer_key": 404}, lambda w, r: {"path": {"element_id": _element(w)}}),
    # Only the owner's merchants set it; operator staff see but may not set it.
    ("PUT", "/api/v1/elements/<element_id>/query-policy"): (
        {**_only({"merchant": 200, "member": 200}, 403, hidden=OUTSIDERS_OF_A),
         "buyer_key": 404},
        lambda w, r, aw=__import__("tests.api.access_world", fromlist=["_"]):  # noqa: B008
            aw.policy_request(w, _element(w))),
    # Records: only the buyer organisation's program (people: 403 "use an API key").
    ("GET", "/api/v1/elements/<element_id>/records"): (
        {**_all(403, anonymous=401), "buyer_key": 200},
        lambda w, r, aw=__import__("tests.api.access_world", fromlist=["_"]):  # noqa: B008
            aw.records_request(w, _element(w))),
    # Sandbox queries: the buyer and its program; the license's other readers 403; hidden
    # from everyone else.
    ("POST", "/api/v1/licenses/<license_id>/queries"): (
        {**_only({"buyer": 200}, 403, hidden=("rival", "rival_buyer", "assessor", "outsider",
                                                "pending")), "buyer_key": 200},
        lambda w, r, aw=__import__("tests.api.access_world", fromlist=["_"]):  # noqa: B008
            aw.query_request(w, _element(w))),
    # --- end access ---
}


def _fresh_refresh(world: World) -> str:
    tokens = world.ok("POST", "/auth/token", json={
        "email": world["outsider"].email, "password": "correct horse battery staple"})
    return tokens["refresh_token"]


def _spec(world: World) -> dict[str, Any]:
    """The smallest pipeline: the uploaded version as it is."""
    return {"format": "elx-pipeline/v1", "steps": [], "element": {"title": "企业注册资本"},
            "inputs": [{"alias": "t", "version_id": world.version_id}]}  # type: ignore[attr-defined]


def _job(world: World, fresh: bool) -> str:
    """A queued build job of org A (a new one per call when the call may change it)."""
    if fresh or not hasattr(world, "job_id"):
        job = world.ok("POST", "/elements", world["merchant"], json={"spec": _spec(world)},
                       status=201)
        world.job_id = job["id"]  # type: ignore[attr-defined]
    return world.job_id  # type: ignore[attr-defined]


def _element(world: World) -> str:
    """An element of org A, built once per test by running its job."""
    if not hasattr(world, "element_id"):
        from marketplace.jobs.worker import run_pending

        job_id = _job(world, fresh=True)
        run_pending(world.app)
        job = world.ok("GET", f"/jobs/{job_id}", world["merchant"])
        assert job["state"] == "succeeded", job["error"]
        world.element_id = job["result"]["element_id"]  # type: ignore[attr-defined]
    return world.element_id  # type: ignore[attr-defined]


def _routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):  # console pages: tests/web/test_web_routes.py
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_is_in_the_matrix(app: Any) -> None:
    assert _routes(app) == set(EXPECTED), "routes and the authorisation matrix differ"


def test_every_view_declares_its_action(app: Any) -> None:
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint != "static" and not rule.endpoint.endswith(".static")
               and not hasattr(app.view_functions[rule.endpoint], "elx_action")]
    assert missing == []


def _prepare(world: World) -> None:
    merchant = world["merchant"]
    asset = world.ok("POST", "/assets", merchant, json=ASSET, status=201)
    world.asset_id = asset["id"]  # type: ignore[attr-defined]
    version = world.ok("POST", f"/assets/{asset['id']}/versions", merchant, status=201, **_csv())
    world.version_id = version["id"]  # type: ignore[attr-defined]
    buyer = world["buyer"]
    key = world.ok("POST", "/api-keys", buyer, json={"org_id": buyer.org_id, "name": "prog"},
                   status=201)
    world.key_id = key["id"]  # type: ignore[attr-defined]
    world.actors["buyer_key"] = type(buyer)("buyer_key", buyer.email, token=key["key"])
    world.actors["anonymous"] = type(buyer)("anonymous", "")


def _order(expected: dict[str, int]) -> list[str]:
    """Denied callers first, so a permitted mutation cannot change what they see."""
    return sorted(ROLES, key=lambda r: 200 <= expected[r] < 300)


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_as_every_role(app: Any, route: tuple[str, str]) -> None:
    world = build_world(app)
    _prepare(world)
    expected, build = EXPECTED[route]
    method, rule = route
    got = {}
    for role in _order(expected):
        spec = build(world, role)
        path = rule
        for name, value in spec.pop("path", {}).items():
            path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
        if query := spec.pop("query", None):
            path = f"{path}?{query}"
        if "data" in spec and isinstance(spec["data"], bytes):
            spec["data"] = io.BytesIO(spec["data"]).read()
        response = world.call(method, path.removeprefix("/api/v1"), world[role], **spec)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (role, response.data)
    assert got == expected
