"""Orders and licenses through the API (issue 5 §5): the buyer accepts exact terms (hash
checked), a free plan activates at once and a paid one after the provider confirms, every
agreement move is on the verifiable ledger, ``Idempotency-Key`` replays and rejects reuse,
and every bad input is a problem document that changes nothing.

Moves, revocation, expiry and races: ``test_order_transitions.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from contracts import AgreementEvent, AgreementState, next_state
from ledger.checkpoint import open_checkpoint
from ledger.merkle import leaf_hash
from ledger.note import Verifier
from ledger.proof import verify_inclusion
from tests.api.listing_world import advance, build_element, draft
from tests.api.order_world import (
    FREE,
    ONE_OFF,
    PURPOSE,
    fresh_key,
    listing,
    order,
    order_body,
    place,
    terms,
)
from tests.api.world import World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def ledger_entry(world: World, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Entry ``index`` (fields, payload), its payload digest checked and its inclusion in the
    signed checkpoint verified."""
    keys = [Verifier.from_vkey(k["vkey"]) for k in world.ok("GET", "/ledger/public-keys")["keys"]]
    checkpoint = open_checkpoint(world.call("GET", "/ledger/checkpoint").get_data(as_text=True),
                                 keys)
    body = world.ok("GET", f"/ledger/entries/{index}")
    data, payload = base64.b64decode(body["entry"]), base64.b64decode(body["payload"])
    assert hashlib.sha256(payload).hexdigest() == body["fields"]["payload_sha256"]
    proof = world.ok("GET", f"/ledger/proofs/inclusion?index={index}&tree_size={checkpoint.size}")
    verify_inclusion(leaf_hash(data), index, checkpoint.size,
                     [base64.b64decode(p) for p in proof["proof"]], checkpoint.root_hash)
    return body["fields"], json.loads(payload)


def ledger_size(world: World) -> int:
    return int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])


def recomputed_terms_hash(doc: dict[str, Any]) -> str:
    """RFC 8785 on this domain (strings, integers, null): sorted keys, no whitespace."""
    subset = {k: doc[k] for k in ("listing_id", "element_version_id", "policy", "price")}
    canonical = json.dumps(subset, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def counts(world: World) -> tuple[int, int, int]:
    """(orders, agreements, history rows) in the database."""
    from sqlalchemy import func, select

    from marketplace.db import db
    from marketplace.orders.models import Agreement, AgreementEventRow, Order

    with world.app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                     for m in (Order, Agreement, AgreementEventRow))


def stats_orders(world: World, listing_id: str) -> int:
    from marketplace.db import db
    from marketplace.listings.models import ListingStats

    with world.app.app_context():
        return db.session.get(ListingStats, listing_id).orders  # type: ignore[union-attr]


def test_terms_are_exact_stable_and_bilingual(world: World) -> None:
    lst = listing(world, FREE, ONE_OFF)
    free, paid = (p["id"] for p in lst["plans"])
    first = terms(world, lst["id"], paid)
    assert first == terms(world, lst["id"], paid, actor="rival_buyer"), "same for everyone"
    assert first["terms_hash"] == recomputed_terms_hash(first)
    assert first["price"]["amount_fen"] == 50_000 and first["price"]["kind"] == "one_off"
    obligations = first["policy"]["obligation"]
    assert {"action": "compensate", "amount_fen": 50_000, "currency": "CNY"} in obligations
    scope = first["policy"]["permission"][0]["constraint"]
    assert {"leftOperand": "purpose", "operator": "isAnyOf",
            "rightOperand": [PURPOSE]} in scope
    assert "数据" in first["contract_text"]["zh"] and "License" in first["contract_text"]["en"]
    assert first["policy_digest"] in first["contract_text"]["en"]
    assert terms(world, lst["id"], free)["terms_hash"] != first["terms_hash"]


def test_the_declared_purpose_narrows_a_restricted_license(world: World) -> None:
    research = listing(world, FREE, license_template="research-only",
                       license_params={"purposes": ["research", "urban_planning"]})
    plan = research["plans"][0]["id"]
    agreed = terms(world, research["id"], plan, purpose="urban_planning")
    for rule in agreed["policy"]["permission"]:
        assert {"leftOperand": "purpose", "operator": "isAnyOf",
                "rightOperand": ["urban_planning"]} in rule["constraint"]
    refused = world.call("GET", f"/listings/{research['id']}/terms?plan_id={plan}"
                                f"&purpose=marketing", world["buyer"])
    assert refused.status_code == 422 and "purpose" in refused.get_json()["errors"]
    open_data = listing(world, FREE, license_template="cc-by-4.0")
    agreed = terms(world, open_data["id"], open_data["plans"][0]["id"], purpose="marketing")
    assert "purpose" not in json.dumps(agreed["policy"]), "an open license is not narrowed"
    placed = order(world, open_data["id"], open_data["plans"][0]["id"], purpose="marketing")
    assert placed["purpose"] == "marketing"


def test_a_free_order_activates_at_once_on_the_ledger(world: World) -> None:
    lst = listing(world, FREE)
    plan = lst["plans"][0]["id"]
    before = ledger_size(world)
    placed = order(world, lst["id"], plan)
    lic = placed["license"]
    assert placed["state"] == "free" and placed["amount_fen"] == 0 and placed["payment"] is None
    assert lic["state"] == "active" and lic["valid_from"] is not None
    assert placed["next_action"] == {"type": "use_license", "license_id": lic["id"]}
    assert ledger_size(world) == before + 2
    fields, payload = ledger_entry(world, lic["ledger_index"])
    assert (fields["kind"], fields["subject"]) == ("agreement.created", lic["id"])
    assert fields["actor"] == {"org": world["buyer"].org_id, "user": world["buyer"].user_id}
    assert payload["terms_hash"] == lic["terms_hash"] and payload["state"] == "pending_payment"
    fields, payload = ledger_entry(world, lic["ledger_index"] + 1)
    assert (fields["kind"], payload["from"], payload["to"]) == (
        "agreement.activated", "pending_payment", "active")
    assert stats_orders(world, lst["id"]) == 1
    full = world.ok("GET", f"/licenses/{lic['id']}", world["buyer"])
    assert recomputed_terms_hash(full) == full["terms_hash"] == lic["terms_hash"]
    assert [(h["event"], h["to"]) for h in full["history"]] == [
        (None, "pending_payment"), ("payment_succeeded", "active")]
    assert [h["ledger_index"] for h in full["history"]] == [lic["ledger_index"],
                                                            lic["ledger_index"] + 1]


def test_a_paid_order_waits_for_the_provider_then_activates(world: World) -> None:
    from sqlalchemy import select

    from marketplace.db import db
    from marketplace.valuations.models import MarketDeal

    lst = listing(world, ONE_OFF)
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    lic = placed["license"]
    assert (placed["state"], lic["state"], placed["amount_fen"]) == (
        "awaiting_payment", "pending_payment", 50_000)
    action = placed["next_action"]
    assert action["type"] == "pay" and (action["amount_fen"], action["currency"]) == (50_000, "CNY")
    assert stats_orders(world, lst["id"]) == 0, "popularity counts activated orders only"
    assert world.app.extensions["elx.payments"].confirm(placed["id"]) is AgreementState.ACTIVE
    now = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert now["state"] == "paid" and now["payment"]["paid_at"] is not None
    assert now["payment"]["reference"] == action["reference"]
    assert now["license"]["state"] == "active"
    assert now["next_action"] == {"type": "use_license", "license_id": lic["id"]}
    fields, payload = ledger_entry(world, ledger_size(world) - 1)
    assert (fields["kind"], fields["subject"], payload["event"]) == (
        "agreement.activated", lic["id"], "payment_succeeded")
    assert stats_orders(world, lst["id"]) == 1
    with world.app.app_context():
        deal = db.session.scalar(select(MarketDeal).where(MarketDeal.source_ref == lic["id"]))
        assert deal is not None and (deal.price_fen, deal.plan_kind) == (50_000, "one_off")
        assert deal.element_id == lst["element_id"]


def test_a_failed_payment_goes_where_the_table_says(world: World) -> None:
    lst = listing(world, ONE_OFF)
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    gateway = world.app.extensions["elx.payments"]
    gateway.fail(placed["id"], "card_declined")
    expected = next_state(AgreementState.PENDING_PAYMENT, AgreementEvent.PAYMENT_FAILED)
    now = world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    assert now["license"]["state"] == expected.value
    assert now["payment"]["error"] == "card_declined"
    full = world.ok("GET", f"/licenses/{now['license']['id']}", world["buyer"])
    assert full["history"][-1]["event"] == "payment_failed"
    if expected is AgreementState.PENDING_PAYMENT:  # the buyer may still pay
        assert now["state"] == "awaiting_payment" and now["next_action"]["type"] == "pay"
        gateway.confirm(placed["id"])
        assert world.ok("GET", f"/orders/{placed['id']}", world["buyer"])["state"] == "paid"
    else:
        assert now["state"] == "unpaid" and now["next_action"] is None


@pytest.mark.parametrize(("plan", "due", "state"), [
    ({"kind": "subscription", "price_fen": 9_900, "period": "monthly"}, 9_900, "pending_payment"),
    ({"kind": "metered", "unit": "api_call", "unit_price_fen": 5}, 0, "active"),
    ({"kind": "one_off", "price_fen": 0}, 0, "active"),
])
def test_only_an_amount_due_waits_for_payment(world: World, plan: dict[str, Any], due: int,
                                              state: str) -> None:
    lst = listing(world, plan)
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    assert (placed["amount_fen"], placed["license"]["state"]) == (due, state)


def test_replaying_a_key_returns_the_first_answer_and_creates_nothing(world: World) -> None:
    lst = listing(world, ONE_OFF)
    body, key = order_body(world, lst["id"], lst["plans"][0]["id"]), fresh_key()
    first = place(world, body, key=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    size, rows = ledger_size(world), counts(world)
    world.ok("POST", f"/listings/{lst['id']}/delist", world["merchant"], json={"reason": "停"})
    again = place(world, dict(reversed(body.items())), key=key)  # same body, other key order
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert counts(world) == rows and ledger_size(world) == size + 1  # + the delisting only
    assert len(world.app.extensions["elx.payments"].started) == 1


def test_a_key_reused_for_another_body_is_422_naming_the_header(world: World) -> None:
    lst = listing(world, FREE, ONE_OFF)
    key = fresh_key()
    place(world, order_body(world, lst["id"], lst["plans"][0]["id"]), key=key)
    rows, size = counts(world), ledger_size(world)
    other = place(world, order_body(world, lst["id"], lst["plans"][1]["id"]), key=key)
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert "Idempotency-Key" in other.get_json()["errors"]
    assert counts(world) == rows and ledger_size(world) == size
    elsewhere = place(world, order_body(world, lst["id"], lst["plans"][0]["id"], actor=
                                        "rival_buyer"), actor="rival_buyer", key=key)
    assert elsewhere.status_code == 201, "keys are scoped to the buyer organisation"


BAD_KEYS: list[dict[str, str]] = [{}, {"Idempotency-Key": ""},
                                  {"Idempotency-Key": "has space"},
                                  {"Idempotency-Key": "x" * 256},
                                  {"Idempotency-Key": "订单"}]


def test_a_missing_or_malformed_key_is_400(world: World) -> None:
    """Every header of ``BAD_KEYS`` against one listing; no case creates anything."""
    lst = listing(world, FREE)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    for headers in BAD_KEYS:
        case = repr(headers)[:60]
        response = world.call("POST", "/orders", world["buyer"], json=body, headers=headers)
        assert response.status_code == 400, (case, response.get_json())
        assert response.mimetype == "application/problem+json", case
        assert "Idempotency-Key" in response.get_json()["detail"], case
        assert counts(world) == (0, 0, 0), case


def test_changed_terms_are_409_and_create_nothing(world: World) -> None:
    lst = listing(world, FREE, ONE_OFF)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    stale = {**body, "plan_id": lst["plans"][1]["id"]}  # the hash of the free plan's terms
    size = ledger_size(world)
    response = place(world, stale)
    assert response.status_code == 409 and "fetch them again" in response.get_json()["detail"]
    assert counts(world) == (0, 0, 0) and ledger_size(world) == size


def test_bad_orders_are_problems_that_change_nothing(world: World) -> None:
    element = build_element(world)["element_id"]
    lst = listing(world, FREE, element_id=element)
    other = listing(world, ONE_OFF, element_id=element)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    hidden = draft(world, element, plans=[FREE])
    cases = [  # (body, status, field named in errors or None)
        ({**body, "plan_id": other["plans"][0]["id"]}, 422, "plan_id"),
        ({**body, "purpose": "marketing"}, 422, "purpose"),
        ({**body, "purpose": "Not A Slug"}, 422, "purpose"),
        ({**body, "accepted_terms_hash": "abc"}, 422, "accepted_terms_hash"),
        ({**body, "extra": 1}, 422, "extra"),
        ({**body, "listing_id": hidden["id"]}, 404, None),
        ({**body, "listing_id": "lst_aaaaaaaaaaaaaaaa"}, 404, None),
        ({**body, "buyer_org_id": world["rival_buyer"].org_id}, 403, None),
    ]
    for bad, status, field in cases:
        response = place(world, bad)
        assert response.status_code == status, (bad, response.get_json())
        assert response.mimetype == "application/problem+json"
        if field:
            assert field in response.get_json()["errors"], response.get_json()
    assert counts(world) == (0, 0, 0)
    world.ok("GET", f"/listings/{lst['id']}/terms?plan_id=x&purpose=marketing",
             world["buyer"], status=422)


def test_a_delisted_listing_cannot_be_ordered(world: World) -> None:
    lst = listing(world, FREE)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    advance(world, lst["id"], "delist")
    assert place(world, body).status_code == 409
    world.ok("GET", f"/listings/{lst['id']}/terms?plan_id={lst['plans'][0]['id']}"
                    f"&purpose={PURPOSE}", world["buyer"], status=409)
    assert counts(world) == (0, 0, 0)


def test_only_buyers_order(world: World) -> None:
    """Every non-buyer role against one listing; no attempt creates anything."""
    lst = listing(world, FREE)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    for actor in ("merchant", "member", "operator", "auditor", "assessor", "outsider",
                  "pending"):
        assert place(world, body, actor=actor).status_code == 403, actor
        assert counts(world) == (0, 0, 0), actor


def test_an_unapproved_buyer_organisation_cannot_order(world: World) -> None:
    lst = listing(world, FREE)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    world.register("newcomer")
    org = world.org(world["newcomer"], "待审核买方", "buyer", approve=False)
    assert place(world, body, actor="newcomer").status_code == 403
    assert place(world, {**body, "buyer_org_id": org}, actor="newcomer").status_code == 403
    world.ok("POST", f"/organizations/{org}/approve", world["operator"])
    world.login(world["newcomer"])
    assert place(world, body, actor="newcomer").status_code == 201


def test_a_buyer_of_two_organisations_names_one(world: World) -> None:
    lst = listing(world, FREE)
    body = order_body(world, lst["id"], lst["plans"][0]["id"])
    second = world.org(world["buyer"], "买方二号", "buyer")
    world.login(world["buyer"])
    response = place(world, body)
    assert response.status_code == 422 and "buyer_org_id" in response.get_json()["errors"]
    placed = place(world, {**body, "buyer_org_id": second})
    assert placed.status_code == 201 and placed.get_json()["buyer_org_id"] == second


def test_licenses_are_listed_for_their_parties(world: World) -> None:
    lst = listing(world, FREE, ONE_OFF)
    mine = order(world, lst["id"], lst["plans"][0]["id"])["license"]["id"]
    pending = order(world, lst["id"], lst["plans"][1]["id"])["license"]["id"]
    theirs = order(world, lst["id"], lst["plans"][0]["id"], actor="rival_buyer")
    ids = lambda actor, q="": [i["id"] for i in world.ok(  # noqa: E731
        "GET", f"/licenses{q}", world[actor])["items"]]
    assert set(ids("buyer")) == {mine, pending}
    assert set(ids("merchant")) == set(ids("operator")) == {mine, pending,
                                                            theirs["license"]["id"]}
    assert ids("rival") == [] and ids("outsider") == []
    assert ids("buyer", "?state=pending_payment") == [pending]
    page = world.ok("GET", "/licenses?limit=1", world["buyer"])
    rest = world.ok("GET", f"/licenses?limit=1&cursor={page['next_cursor']}", world["buyer"])
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {mine, pending}
    assert rest["next_cursor"] is None
    world.ok("GET", "/licenses?state=bogus", world["buyer"], status=422)
    world.ok("GET", f"/licenses/{theirs['license']['id']}", world["buyer"], status=404)
    world.ok("GET", f"/orders/{theirs['id']}", world["buyer"], status=404)
    world.ok("GET", f"/orders/{theirs['id']}", world["merchant"], status=404)


def exercise_routes(world: World) -> None:
    """Every order and license operation once with a 2xx (for the contract round trip in
    test_openapi.py, which requires every documented operation to succeed at least once)."""
    lst = listing(world, FREE)
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    world.ok("GET", f"/orders/{placed['id']}", world["buyer"])
    world.ok("GET", "/licenses", world["buyer"])
    world.ok("GET", f"/licenses/{placed['license']['id']}", world["merchant"])
    world.ok("POST", f"/licenses/{placed['license']['id']}/revoke", world["operator"],
             json={"reason": "用途违规"})


def test_every_route_answers_for_its_users(world: World) -> None:
    exercise_routes(world)
