"""Valuations through the API (issue 5 §1 acceptance): an assessor of an approved agency values
an element version; the record is immutable, numbered per element, hashed (RFC 8785) and on
the ledger with a verifiable receipt. Conflicts of interest (declared affiliation, the owner's
own people) are 403, missing comparables 422, bad input 422 with field paths — and a refused
or failed request leaves nothing behind."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
import rfc8785

from ledger.note import Verifier
from ledger.receipt import verify_receipt
from marketplace.valuations.services import latest_range
from tests.api.valuation_world import (
    COST,
    INCOME,
    RATIONALE,
    build_element,
    counts,
    exercise_routes,
    settle,
    value,
)
from tests.api.world import World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def _vkey(world: World) -> str:
    keys = world.ok("GET", "/ledger/public-keys")["keys"]
    return next(k["vkey"] for k in keys if k["status"] == "current" and k["role"] == "log")


def test_cost_valuation_is_hashed_on_the_ledger_and_readable(world: World) -> None:
    element = build_element(world)
    quality = world.ok("GET", f"/elements/{element}", world["merchant"])["latest"]
    got = value(world, element, {"methods": COST})
    # C = (300 000 + 200 000) × 1.1 = 550 000; δ = q / 100 (no life ratio); P = 5 500 × q
    q = Decimal(got["record"]["facts"]["quality_score"])
    assert q == Decimal(f"{quality['quality_score']:.2f}")
    assert got["value_fen"] == int(5500 * q)
    assert got["low_fen"] == int(550_000 * max(q / 100 - Decimal("0.1"), Decimal(0)))
    assert got["version"] == 1 and got["element_version"] == 1 and got["methods"] == ["cost"]
    assert got["element_version_id"] == quality["id"]
    assert got["record"]["facts"] == {"quality_score": str(q), "rows": 3,
                                      "domain": "enterprise"}
    assert got["record_sha256"] == hashlib.sha256(rfc8785.dumps(got["record"])).hexdigest()

    receipt = world.ok("GET", f"/ledger/receipts/{got['ledger_index']}")
    entry = verify_receipt(receipt, [Verifier.from_vkey(_vkey(world))])
    payload = json.loads(base64.b64decode(receipt["payload"]))
    assert entry.kind == "valuation.recorded" and entry.actor_org == world["assessor"].org_id
    assert payload["record_sha256"] == got["record_sha256"]
    assert (payload["value_fen"], payload["low_fen"], payload["high_fen"]) == (
        got["value_fen"], got["low_fen"], got["high_fen"])

    for reader in ("merchant", "member", "operator", "auditor", "assessor"):
        items = world.ok("GET", f"/elements/{element}/valuations", world[reader])["items"]
        assert items == [got]
    for outsider in ("rival", "buyer", "outsider"):
        assert world.call("GET", f"/elements/{element}/valuations",
                          world[outsider]).status_code == 404
    with world.app.app_context():
        assert latest_range(got["element_version_id"]) == (got["low_fen"], got["high_fen"])
        assert latest_range("elv_aaaaaaaaaaaaaaaa") is None


def test_valuations_are_immutable_versions(world: World) -> None:
    element = build_element(world)
    first = value(world, element, {"methods": COST})
    second = value(world, element, {"methods": INCOME, "valuation_date": first[
        "valuation_date"]})
    assert (first["version"], second["version"]) == (1, 2)
    assert second["value_fen"] == 2_727_273  # the worked income example of the unit tests
    items = world.ok("GET", f"/elements/{element}/valuations", world["operator"])["items"]
    assert items == [first, second]  # the first is unchanged by the second
    with world.app.app_context():
        assert latest_range(first["element_version_id"]) == (second["low_fen"],
                                                             second["high_fen"])
    for method in ("PUT", "PATCH", "DELETE"):
        response = world.call(method, f"/elements/{element}/valuations", world["assessor"],
                              json={"methods": COST})
        assert response.status_code == 405


def test_several_methods_need_a_written_reconciliation(world: World) -> None:
    element = build_element(world)
    before = counts(world)
    missing = world.call("POST", f"/elements/{element}/valuations", world["assessor"],
                         json={"methods": {**COST, **INCOME}})
    assert missing.status_code == 422
    assert "_schema" in missing.get_json()["errors"]["reconciliation"]
    got = value(world, element, {"methods": {**COST, **INCOME}, "reconciliation": {
        "weights": {"cost": "0.25", "income": "0.75"}, "rationale": RATIONALE}})
    cost_v, income_v = (got["record"]["methods"][m]["value_fen"] for m in ("cost", "income"))
    weighted = Decimal(cost_v) / 4 + Decimal(income_v) * 3 / 4
    assert abs(got["value_fen"] - weighted) <= Decimal("0.5")
    assert got["low_fen"] == min(m["low_fen"] for m in got["record"]["methods"].values())
    assert got["high_fen"] == max(m["high_fen"] for m in got["record"]["methods"].values())
    assert len(got["record"]["result"]["sensitivity"]) == 8
    assert got["record"]["reconciliation"] == {"weights": {"cost": "0.25", "income": "0.75"},
                                               "rationale": RATIONALE}
    assert counts(world)[0] == before[0] + 1


def test_market_needs_enough_comparables_from_this_exchange(world: World) -> None:
    subject = build_element(world)
    rival = build_element(world, "rival")
    settle(world, subject, [9_000_000] * 3)  # the subject's own deals are never comparables
    settle(world, rival, [100_000, 200_000])
    body = {"methods": {"market": {"k_supply_demand": "1.1"}}}
    before = counts(world)
    short = world.call("POST", f"/elements/{subject}/valuations", world["assessor"], json=body)
    assert short.status_code == 422
    message = short.get_json()["errors"]["methods"]["market"]["domain"][0]
    assert "Found 2" in message and "at least 3" in message
    assert counts(world) == before

    settle(world, rival, [300_000])
    got = value(world, subject, body)
    comparables = got["record"]["methods"]["market"]["workings"]["comparables"]
    assert sorted(c["price_fen"] for c in comparables) == [100_000, 200_000, 300_000]
    # same CSV and spec: K_quality = K_capacity = 1; no price change: K_date = 1;
    # P = mean(100 000, 200 000, 300 000) × 1.1 = 220 000
    assert got["value_fen"] == 220_000

    page = world.ok("GET", "/market/comparables?domain=enterprise&limit=2", world["assessor"])
    assert page["matching"] == 6 and page["min_comparables"] == 3 and len(page["items"]) == 2
    assert set(page["items"][0]) == {"month", "domain", "plan_kind", "price_fen", "currency",
                                     "quality_score", "rows"}
    rest = world.ok("GET", f"/market/comparables?domain=enterprise&cursor="
                           f"{page['next_cursor']}", world["operator"])
    assert len(rest["items"]) == 4 and rest["next_cursor"] is None
    assert world.ok("GET", "/market/comparables?domain=parking", world["auditor"])[
        "matching"] == 0
    for denied in ("merchant", "buyer"):
        assert world.call("GET", "/market/comparables", world[denied]).status_code == 403


def test_conflicts_of_interest_are_refused_with_reasons(world: World) -> None:
    element = build_element(world)
    agency = world["assessor"].org_id
    dual = world.member(world["merchant"], world["merchant"].org_id, "dual", "merchant_member")
    world.ok("POST", f"/organizations/{agency}/members", world["assessor"], status=201,
             json={"email": dual.email, "role": "assessor"})
    before = counts(world)
    own = world.call("POST", f"/elements/{element}/valuations", dual, json={"methods": COST})
    assert own.status_code == 403 and own.mimetype == "application/problem+json"
    assert "member of the element's owner" in own.get_json()["detail"]

    world.ok("POST", f"/organizations/{agency}/affiliations", world["assessor"], status=201,
             json={"affiliated_org_id": world["merchant"].org_id, "relation": "shareholding"})
    declared = world.call("POST", f"/elements/{element}/valuations", world["assessor"],
                          json={"methods": COST})
    assert declared.status_code == 403
    assert any("shareholding" in r for r in declared.get_json()["conflicts"])
    for role in ("merchant", "member", "buyer", "operator", "outsider"):
        denied = world.call("POST", f"/elements/{element}/valuations", world[role],
                            json={"methods": COST})
        assert denied.status_code == 403, role
    assert counts(world) == (before[0], before[1], before[2] + 1)  # only the declaration
    value(world, build_element(world, "rival"), {"methods": COST})  # no conflict with B


def test_an_unapproved_agency_cannot_value(world: World) -> None:
    element = build_element(world)
    newcomer = world.register("newcomer")
    world.org(newcomer, "新评估机构", "valuation_agency", approve=False)
    response = world.call("POST", f"/elements/{element}/valuations", newcomer,
                          json={"methods": COST})
    assert response.status_code == 403


def test_affiliations_are_declared_once_and_checked(world: World) -> None:
    agency, assessor = world["assessor"].org_id, world["assessor"]
    path = f"/organizations/{agency}/affiliations"
    body = {"affiliated_org_id": world["rival"].org_id, "relation": "common_control"}
    made = world.ok("POST", path, assessor, json=body, status=201)
    assert made["ledger_index"] >= 0 and made["note"] == ""
    assert world.call("POST", path, assessor, json=body).status_code == 409
    for bad in ({**body, "affiliated_org_id": agency},
                {**body, "affiliated_org_id": "org_aaaaaaaaaaaaaaaa"}):
        response = world.call("POST", path, assessor, json=bad)
        assert response.status_code == 422 and "affiliated_org_id" in response.get_json()[
            "errors"]
    bad_relation = world.call("POST", path, assessor, json={**body, "relation": "friends"})
    assert "relation" in bad_relation.get_json()["errors"]
    assert world.ok("GET", path, world["auditor"])["items"] == [made]
    assert world.call("GET", path, world["merchant"]).status_code == 404


INC = INCOME["income"]
BAD = [  # (body, path to the offending field in ``errors``)
    ({}, ["methods"]),
    ({"methods": {}}, ["methods", "_schema"]),
    ({"methods": COST, "bogus": 1}, ["bogus"]),
    ({"methods": {"income": {**INC, "risk_free_rate": 0.03}}},
     ["methods", "income", "risk_free_rate"]),
    ({"methods": {"income": {**INC, "risk_free_rate": "0.3"}}},
     ["methods", "income", "risk_free_rate"]),
    ({"methods": {"income": {**INC, "risk_free_rate": "0", "risk_premia": []}}},
     ["methods", "income", "risk_premia"]),
    ({"methods": {"income": {**INC, "cash_flows_fen": [1, -5]}}},
     ["methods", "income", "cash_flows_fen", "1"]),
    ({"methods": {"income": {**INC, "cash_flows_fen": [True]}}},
     ["methods", "income", "cash_flows_fen", "0"]),
    ({"methods": {"cost": {"cost_items": [{"category": "magic", "amount_fen": 1}]}}},
     ["methods", "cost", "cost_items", "0", "category"]),
    ({"methods": {"cost": {"cost_items": [{"category": "labour", "amount_fen": 1}] * 2}}},
     ["methods", "cost", "cost_items"]),
    ({"methods": {"cost": {**COST["cost"], "remaining_life_years": "6",
                           "economic_life_years": "5"}}},
     ["methods", "cost", "remaining_life_years"]),
    ({"methods": {**COST, **INCOME}, "reconciliation": {
        "weights": {"cost": "0.5", "income": "0.4"}, "rationale": RATIONALE}},
     ["reconciliation", "weights"]),
    ({"methods": COST, "reconciliation": {"weights": {"cost": "1"}, "rationale": RATIONALE}},
     ["reconciliation", "_schema"]),
    ({"methods": COST, "element_version": 9}, ["element_version"]),
    ({"methods": COST, "valuation_date": "2999-01-01"}, ["valuation_date"]),
    ({"methods": COST, "currency": "USD"}, ["currency"]),
    ({"methods": {"market": {"domain": "parking"}}}, ["methods", "market", "domain"]),
]


def test_bad_input_is_422_naming_the_field_and_changes_nothing(world: World) -> None:
    """Every case of ``BAD`` against one element (built once: the cases only read it); the
    counts are checked after each case, so one that records anything fails by name."""
    element = build_element(world)
    before = counts(world)
    for i, (body, path) in enumerate(BAD):
        case = f"BAD[{i}] {'.'.join(path)}"
        response = world.call("POST", f"/elements/{element}/valuations", world["assessor"],
                              json=body)
        assert response.status_code == 422, (case, response.get_json())
        assert response.mimetype == "application/problem+json", case
        node = response.get_json()["errors"]
        for key in path:
            assert key in node, (case, response.get_json()["errors"])
            node = node[key]
        assert counts(world) == before, case


def test_unknown_element_is_404_for_assessors(world: World) -> None:
    response = world.call("POST", "/elements/elm_aaaaaaaaaaaaaaaa/valuations",
                          world["assessor"], json={"methods": COST})
    assert response.status_code == 404


def test_a_ledger_failure_leaves_no_valuation(app_factory: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import marketplace.ledger_api.services as ledger

    world = build_world(app_factory(validate_contract=False))  # a 500 is not in the contract
    element = build_element(world)
    before = counts(world)

    def crash(*_: Any, **__: Any) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger, "record", crash)
    response = world.call("POST", f"/elements/{element}/valuations", world["assessor"],
                          json={"methods": COST})
    assert response.status_code == 500 and "fire" not in response.get_data(as_text=True)
    monkeypatch.undo()
    assert counts(world) == before
    assert value(world, element, {"methods": COST})["version"] == 1


def test_record_settled_deal_is_idempotent_and_checked(world: World) -> None:
    from datetime import UTC, datetime

    from marketplace.db import db
    from marketplace.errors import NotFound, ValidationFailed
    from marketplace.valuations.services import record_settled_deal

    element = build_element(world)
    version_id = world.ok("GET", f"/elements/{element}", world["merchant"])["latest"]["id"]
    when = datetime(2026, 1, 5, tzinfo=UTC)
    with world.app.app_context():
        first = record_settled_deal(version_id, 5_000, "CNY", "one_off", when, source_ref="a1")
        again = record_settled_deal(version_id, 7_000, "CNY", "one_off", when, source_ref="a1")
        assert again.id == first.id and again.price_fen == 5_000
        assert (first.domain, first.rows, first.element_id) == ("enterprise", 3, element)
        with pytest.raises(NotFound):
            record_settled_deal("elv_aaaaaaaaaaaaaaaa", 1, "CNY", "x", when, source_ref="a2")
        with pytest.raises(ValidationFailed) as caught:
            record_settled_deal(version_id, -1, "USD", "x", when, source_ref="a3")
        assert set(caught.value.errors) == {"price_fen", "currency"}
        db.session.commit()
    assert counts(world)[1] == 1


def test_contract_valid_bodies_get_a_documented_answer(world: World) -> None:
    """Any body openapi.yaml accepts is recorded (201) or refused with 422 — never a 500;
    the validating client checks every answer against the contract."""
    from hypothesis import HealthCheck, given, settings
    from openapi_spec_validator.readers import read_from_filename

    from tests.api.test_openapi import _strategy
    from tests.openapi_validation import SPEC_PATH

    spec, _ = read_from_filename(str(SPEC_PATH))
    element = build_element(world)
    bodies = _strategy(spec["components"]["schemas"]["ValuationRequest"], spec)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: dict[str, Any]) -> None:
        body.pop("agency_org_id", None)
        response = world.call("POST", f"/elements/{element}/valuations", world["assessor"],
                              json=body)
        assert response.status_code in (201, 422), response.get_json()
        if response.status_code == 201:
            got = response.get_json()
            assert got["low_fen"] <= got["value_fen"] <= got["high_fen"]

    check()


def test_every_route_answers(world: World) -> None:
    exercise_routes(world)
