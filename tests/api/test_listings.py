"""Listings (issue 5 §2): the draft → submitted → approved/rejected → listed → delisted workflow
through the API, each move on the ledger (kind, subject, acting organisation, payload); every
move the table does not allow is 409 and changes nothing; of two racing approvals exactly one
wins; bad plans, templates and versions are 422 naming the field; only the element owner's
merchants create and move listings; the reviewer sees the valuation flag; a listed element is
readable by buyers and stops being so when delisted."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.listing_world import ONE_OFF, advance, build_element, draft, exercise_routes
from tests.api.test_openapi import _strategy, _validator
from tests.api.world import World, build_world
from tests.openapi_validation import SPEC_PATH

STEPS = ("submit", "approve", "reject", "publish", "delist")
# The workflow of the issue, written out independently of marketplace.listings.models.
LEGAL = {("draft", "submit"): "submitted", ("submitted", "approve"): "approved",
         ("submitted", "reject"): "rejected", ("approved", "publish"): "listed",
         ("listed", "delist"): "delisted"}
PATH_TO = {"draft": (), "submitted": ("submit",), "approved": ("submit", "approve"),
           "rejected": ("submit", "reject"), "listed": ("submit", "approve", "publish"),
           "delisted": ("submit", "approve", "publish", "delist")}


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


@pytest.fixture
def element(world: World) -> dict[str, str]:
    return build_element(world, title="德阳市智慧停车泊位", description="Parking occupancy",
                         columns={"区县": "所在区县"})


def _size(world: World) -> int:
    return int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])


def _entry(world: World, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    body = world.ok("GET", f"/ledger/entries/{index}")
    return body["fields"], json.loads(base64.b64decode(body["payload"]))


def _move(world: World, listing_id: str, step: str, actor: str) -> Any:
    body = {"reason": "原因"} if step in ("reject", "delist") else None
    return world.call("POST", f"/listings/{listing_id}/{step}", world[actor], json=body)


def test_a_listing_goes_through_the_workflow_and_onto_the_ledger(
        world: World, element: dict[str, str]) -> None:
    eid, merchant, buyer = element["element_id"], world["merchant"], world["buyer"]
    assert world.call("GET", f"/elements/{eid}", buyer).status_code == 404
    start = _size(world)
    listing = draft(world, eid, domain="交通", summary="停车场实时泊位")
    assert listing["state"] == "draft" and listing["ledger_index"] is None
    assert listing["title"] == "德阳市智慧停车泊位" and listing["version"] == 1
    assert listing["element_version_id"] == element["version_id"]
    assert listing["delivery_modes"] == ["records_api", "sandbox"]
    assert _size(world) == start, "a private draft is not on the ledger"
    lid = listing["id"]
    assert world.call("GET", f"/listings/{lid}", buyer).status_code == 404

    actors = {"submit": merchant.org_id, "approve": world["operator"].org_id,
              "publish": merchant.org_id, "delist": merchant.org_id}
    for step, state in (("submit", "submitted"), ("approve", "approved"),
                        ("publish", "listed"), ("delist", "delisted")):
        if step == "delist":  # while listed: public to buyers, element metadata included
            seen = world.ok("GET", f"/listings/{lid}", buyer)
            assert seen["review"] is None and seen["state"] == "listed"
            for path in ("", "/quality", "/sample", "/versions"):
                world.ok("GET", f"/elements/{eid}{path}", buyer)
            assert world.ok("GET", "/catalog?q=停车")["total"] == 1
        before = _size(world)
        listing = advance(world, lid, step)
        assert listing["state"] == state
        assert _size(world) == before + 1
        fields, payload = _entry(world, listing["ledger_index"])
        assert fields["kind"] == f"listing.{state}" and fields["subject"] == lid
        assert fields["actor"]["org"] == actors[step]
        assert payload["to"] == state and payload["merchant_org"] == merchant.org_id
        if step == "submit":
            assert payload["plans"] == [{**ONE_OFF, "currency": "CNY",
                                         "id": listing["plans"][0]["id"]}]
            assert payload["valuation_flag"] == "unvalued"
        if step == "delist":
            assert payload["reason"] == "delist reason"
    assert listing["review"]["delist_reason"] == "delist reason"
    assert world.ok("GET", "/catalog?q=停车")["total"] == 0
    assert world.call("GET", f"/elements/{eid}", buyer).status_code == 404
    assert world.call("GET", f"/listings/{lid}", buyer).status_code == 404
    assert _size(world) == start + 4


def test_a_rejection_is_final_and_carries_its_reason(world: World,
                                                     element: dict[str, str]) -> None:
    listing = draft(world, element["element_id"])
    advance(world, listing["id"], "submit")
    rejected = world.ok("POST", f"/listings/{listing['id']}/reject", world["operator"],
                        json={"reason": "价格依据不足"})
    assert rejected["state"] == "rejected"
    assert rejected["review"]["reject_reason"] == "价格依据不足"
    me = world.ok("GET", "/me", world["operator"])
    assert rejected["review"]["reviewed_by"] == me["user"]["id"]
    _, payload = _entry(world, rejected["ledger_index"])
    assert payload["reason"] == "价格依据不足"
    blank = world.call("POST", f"/listings/{listing['id']}/reject", world["operator"],
                       json={"reason": "  "})
    assert blank.status_code == 422 and "reason" in blank.get_json()["errors"]


def test_every_move_the_table_does_not_allow_is_409(world: World,
                                                    element: dict[str, str]) -> None:
    for state, path in PATH_TO.items():
        lid = draft(world, element["element_id"])["id"]
        advance(world, lid, *path)
        for step in STEPS:
            if (state, step) in LEGAL:
                continue
            before = _size(world)
            actor = "operator" if step in ("approve", "reject", "delist") else "merchant"
            response = _move(world, lid, step, actor)
            assert response.status_code == 409, (state, step, response.get_json())
            assert response.mimetype == "application/problem+json"
            assert world.ok("GET", f"/listings/{lid}", world["merchant"])["state"] == state
            assert _size(world) == before


def _operator(world: World) -> Any:
    from sqlalchemy import select

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import User
    from marketplace.db import db

    user = db.session.scalar(select(User).where(User.email == world["operator"].email))
    return accounts._principal_for(user)


def test_a_stale_move_loses_the_conditional_update(world: World,
                                                   element: dict[str, str]) -> None:
    """The request read ``submitted``; before it updates, another approves. Its UPDATE …
    WHERE state = 'submitted' matches nothing: 409, no second ledger entry."""
    from marketplace.db import db
    from marketplace.errors import Conflict
    from marketplace.listings.models import Action, Listing
    from marketplace.listings.workflow import transition

    lid = draft(world, element["element_id"])["id"]
    advance(world, lid, "submit")
    with world.app.app_context():
        stale = db.session.get(Listing, lid)
        assert stale is not None and stale.state.value == "submitted"
        operator = _operator(world)
        db.session.expunge(stale)
        db.session.rollback()
        advance(world, lid, "approve")
        before = _size(world)
        with pytest.raises(Conflict):
            transition(operator, stale, Action.approve)
    assert _size(world) == before
    assert world.ok("GET", f"/listings/{lid}", world["merchant"])["state"] == "approved"


@pytest.mark.postgres
def test_two_concurrent_approvals_exactly_one_wins(app_factory: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Both requests have read ``submitted`` before either writes (a barrier in the clock the
    transition reads after its checks); PostgreSQL row locks let exactly one through."""
    from tests.conftest import PG_URL

    if not PG_URL:
        pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    import marketplace.listings.workflow as workflow

    world = build_world(app_factory("postgresql", validate_contract=False))
    lid = draft(world, build_element(world)["element_id"])["id"]
    advance(world, lid, "submit")
    barrier, real = threading.Barrier(2, timeout=10), workflow.utcnow

    def gated() -> Any:
        barrier.wait()
        return real()

    monkeypatch.setattr(workflow, "utcnow", gated)
    statuses: list[int] = []

    def approve() -> None:
        client = world.app.test_client()
        statuses.append(client.post(f"/api/v1/listings/{lid}/approve",
                                    headers=world["operator"].headers()).status_code)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    monkeypatch.setattr(workflow, "utcnow", real)
    lines = map(json.loads, world.call("GET", "/ledger/export").get_data(as_text=True).splitlines())
    kinds = [json.loads(line["entry"])["kind"] for line in lines if line["type"] == "entry"]
    assert kinds.count("listing.approved") == 1 and kinds.count("listing.submitted") == 1


BAD_PLANS = [  # (plans, the error path inside "errors")
    ([ONE_OFF, {"kind": "one_off", "price_fen": -1}], ("plans", "1", "price_fen")),
    ([{"kind": "metered", "unit": "api_call", "unit_price_fen": -5}],
     ("plans", "0", "unit_price_fen")),
    ([{"kind": "subscription", "price_fen": -100, "period": "monthly"}],
     ("plans", "0", "price_fen")),
    ([{"kind": "one_off", "price_fen": 1.5}], ("plans", "0", "price_fen")),
    ([{"kind": "one_off", "price_fen": True}], ("plans", "0", "price_fen")),
    ([{"kind": "one_off", "price_fen": "100"}], ("plans", "0", "price_fen")),
    ([{"kind": "one_off"}], ("plans", "0", "price_fen")),
    ([{"kind": "one_off", "price_fen": 1, "period": "monthly"}], ("plans", "0", "period")),
    ([{"kind": "subscription", "price_fen": 1}], ("plans", "0", "period")),
    ([{"kind": "subscription", "price_fen": 1, "period": "weekly"}], ("plans", "0", "period")),
    ([{"kind": "free", "price_fen": 100}], ("plans", "0", "price_fen")),
    ([{"kind": "free", "currency": "USD"}], ("plans", "0", "currency")),
    ([{"kind": "metered", "unit": "api_call"}], ("plans", "0", "unit_price_fen")),
    ([{"kind": "barter"}], ("plans", "0", "kind")),
    ([{"kind": "free", "discount": 5}], ("plans", "0", "discount")),
    ([], ("plans",)),
    ([{"kind": "free"}] * 11, ("plans",)),
]


def _errors_at(body: dict[str, Any], path: tuple[str, ...], case: str) -> Any:
    node = body["errors"]
    for key in path:
        assert key in node, (case, path, body["errors"])
        node = node[key]
    return node


def test_bad_plans_are_422_naming_the_plan_and_field(world: World,
                                                      element: dict[str, str]) -> None:
    """Every case of ``BAD_PLANS`` against one element (built once: the cases only read it);
    after each case the merchant still has no listing."""
    for i, (plans, path) in enumerate(BAD_PLANS):
        case = f"BAD_PLANS[{i}] {'.'.join(path)}"
        response = world.call("POST", "/listings", world["merchant"], json={
            "element_id": element["element_id"], "domain": "交通",
            "license_template": "internal-analytics", "plans": plans})
        assert response.status_code == 422, (case, response.get_json())
        assert response.mimetype == "application/problem+json", case
        assert _errors_at(response.get_json(), path, case), case
        assert world.ok("GET", "/listings", world["merchant"])["items"] == [], case


BAD_FIELDS = [  # (fields over a valid body, the error path inside "errors")
    ({"license_template": "all-rights-forever"}, ("license_template",)),
    ({"license_params": {"valid_days": 0}}, ("license_params", "valid_days")),
    ({"license_params": {"price_fen": 5}}, ("license_params", "price_fen")),
    ({"license_template": "cc-by-4.0", "license_params": {"max_calls": 10}},
     ("license_params", "max_calls")),
    ({"version": 2}, ("version",)),
    ({"version": 0}, ("version",)),
    ({"delivery_modes": ["fax"]}, ("delivery_modes", "0")),
    ({"delivery_modes": []}, ("delivery_modes",)),
    ({"delivery_modes": ["sandbox"],
      "plans": [{"kind": "metered", "unit": "api_call", "unit_price_fen": 5}]},
     ("plans", "0", "unit")),
    ({"domain": " "}, ("domain",)),
    ({"title": ""}, ("title",)),
    ({"colour": "blue"}, ("colour",)),
]


def test_bad_listing_fields_are_422(world: World, element: dict[str, str]) -> None:
    """Every case of ``BAD_FIELDS`` against one element; nothing is created by any of them."""
    for i, (fields, path) in enumerate(BAD_FIELDS):
        case = f"BAD_FIELDS[{i}] {'.'.join(path)}"
        body = {"element_id": element["element_id"], "domain": "交通",
                "license_template": "internal-analytics", "plans": [ONE_OFF], **fields}
        response = world.call("POST", "/listings", world["merchant"], json=body)
        assert response.status_code == 422, (case, response.get_json())
        assert _errors_at(response.get_json(), path, case), case
        assert world.ok("GET", "/listings", world["merchant"])["items"] == [], case


def test_plans_of_every_kind_are_kept_as_sent(world: World, element: dict[str, str]) -> None:
    plans = [{"kind": "free"}, {"kind": "one_off", "price_fen": 0},
             {"kind": "subscription", "price_fen": 99_900, "period": "annual",
              "auto_renew": True},
             {"kind": "metered", "unit": "sandbox_query", "unit_price_fen": 50,
              "included_quota": 1000}]
    listing = draft(world, element["element_id"], plans=plans, delivery_modes=["sandbox"],
                    license_template="research-only",
                    license_params={"valid_days": 365, "attribution": "德阳"})
    got = [{k: v for k, v in p.items() if k not in ("id", "currency")}
           for p in listing["plans"]]
    assert got == [{"kind": "free", "price_fen": 0}, plans[1], plans[2],
                   plans[3]]
    assert listing["price_from_fen"] == 0 and listing["delivery_modes"] == ["sandbox"]
    monthly = draft(world, element["element_id"], plans=[
        {"kind": "subscription", "price_fen": 5_000, "period": "monthly"}])
    assert monthly["plans"][0]["auto_renew"] is False and monthly["price_from_fen"] == 5_000


def test_only_the_owners_merchants_create_and_move_listings(
        world: World, element: dict[str, str]) -> None:
    eid = element["element_id"]
    body = {"element_id": eid, "domain": "交通", "license_template": "internal-analytics",
            "plans": [ONE_OFF]}
    for actor, status in (("rival", 404), ("buyer", 404), ("outsider", 404),
                          ("operator", 403), ("auditor", 403)):
        assert world.call("POST", "/listings", world[actor], json=body).status_code == status
    lid = draft(world, eid, actor="member")["id"]
    assert _move(world, lid, "submit", "rival").status_code == 404
    assert _move(world, lid, "submit", "operator").status_code == 403
    advance(world, lid, "submit", actor="member")
    assert _move(world, lid, "approve", "merchant").status_code == 403
    assert _move(world, lid, "approve", "auditor").status_code == 403
    assert _move(world, lid, "approve", "buyer").status_code == 404
    advance(world, lid, "approve")
    assert _move(world, lid, "publish", "operator").status_code == 403
    advance(world, lid, "publish", actor="member")
    assert _move(world, lid, "delist", "rival").status_code == 403
    assert _move(world, lid, "delist", "auditor").status_code == 403
    delisted = world.ok("POST", f"/listings/{lid}/delist", world["operator"],
                        json={"reason": "违规"})
    assert delisted["state"] == "delisted"
    assert world.ok("GET", "/listings", world["rival"])["items"] == []
    assert [i["id"] for i in world.ok("GET", "/listings", world["member"])["items"]] == [lid]


def test_the_operator_sees_the_review_queue(world: World, element: dict[str, str]) -> None:
    first = draft(world, element["element_id"])["id"]
    second = draft(world, element["element_id"])["id"]
    advance(world, second, "submit")
    queue = world.ok("GET", "/listings?state=submitted", world["operator"])["items"]
    assert [i["id"] for i in queue] == [second] and queue[0]["review"] is not None
    page = world.ok("GET", "/listings?limit=1", world["auditor"])
    rest = world.ok("GET", f"/listings?limit=1&cursor={page['next_cursor']}", world["auditor"])
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {first, second}
    assert rest["next_cursor"] is None


def test_the_reviewer_sees_prices_against_the_latest_valuation(
        world: World, element: dict[str, str]) -> None:
    """A real valuation (issue 5 §1) sets the range; one-off and subscription prices outside
    it are flagged by position, free and metered plans are not compared, and approving a
    flagged listing needs a note."""
    valuation = world.ok("POST", f"/elements/{element['element_id']}/valuations",
                         world["assessor"], status=201, json={"methods": {"cost": {
                             "cost_items": [{"category": "processing", "amount_fen": 100000}]}}})
    low, high = valuation["low_fen"], valuation["high_fen"]
    within = draft(world, element["element_id"], plans=[
        {"kind": "one_off", "price_fen": low}, {"kind": "free"},
        {"kind": "metered", "unit": "api_call", "unit_price_fen": 1}])
    outside = draft(world, element["element_id"], plans=[
        {"kind": "one_off", "price_fen": high},
        {"kind": "subscription", "price_fen": high + 1, "period": "annual"},
        {"kind": "one_off", "price_fen": max(low - 1, 0)}])
    checked = advance(world, within["id"], "submit")["review"]["valuation"]
    assert checked == {"flag": "within", "low_fen": low, "high_fen": high, "plans_outside": []}
    flagged = advance(world, outside["id"], "submit")["review"]["valuation"]
    assert flagged["flag"] == "outside"
    assert flagged["plans_outside"] == ([1, 2] if low > 0 else [1])
    bare = world.call("POST", f"/listings/{outside['id']}/approve", world["operator"])
    assert bare.status_code == 422 and "note" in bare.get_json()["errors"]
    approved = world.ok("POST", f"/listings/{outside['id']}/approve", world["operator"],
                        json={"note": "按市场可比交易定价"})
    assert approved["review"]["note"] == "按市场可比交易定价"
    advance(world, within["id"], "approve")  # within the range: no note needed


def test_contract_valid_listing_bodies_are_accepted(app_factory: Any) -> None:
    """Any body openapi.yaml accepts is a draft (201), except the rules JSON Schema cannot
    state: a metered plan must meter an offered delivery mode (422 at plans.<i>.unit)."""
    import yaml

    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    world = build_world(app_factory())
    eid = build_element(world)["element_id"]
    bodies = _strategy(spec["components"]["schemas"]["ListingRequest"], spec).filter(
        _validator(spec, "ListingRequest").is_valid)

    @settings(max_examples=40, deadline=None, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(body=bodies, version=st.sampled_from([None, 1]))
    def check(body: dict[str, Any], version: int | None) -> None:
        body.update(element_id=eid, version=version, license_params={})
        response = world.call("POST", "/listings", world["merchant"], json=body)
        modes = body.get("delivery_modes") or ["records_api", "sandbox"]
        needs = {"api_call": "records_api", "sandbox_query": "sandbox"}
        if any(needs[p["unit"]] not in modes for p in body["plans"] if "unit" in p):
            assert response.status_code == 422
            assert set(response.get_json()["errors"]) == {"plans"}
        else:
            assert response.status_code == 201, response.get_json()

    check()


def test_every_route_answers_for_its_users(world: World) -> None:
    exercise_routes(world)
