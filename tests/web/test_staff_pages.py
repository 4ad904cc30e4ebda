"""Assessor and operator pages (issue 8 §4–5) through the Flask test client: the valuation form
computes exactly what the API computes, shows schema errors next to the inputs and records
nothing then; the operator approves organisations and listings (the queue flags prices outside
the valuation range), rejects and revokes only with a reason, adds fee schedules; buyers and
merchants get 403 on every operator page and the auditor 403 on every operator action."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from contracts import AgreementEvent, AgreementState
from contracts.agreement import TRANSITIONS
from marketplace.db import db
from marketplace.http import load
from marketplace.orders.oversight import revocable
from marketplace.valuations.methods import COST_CATEGORIES
from marketplace.valuations.models import Valuation
from marketplace.valuations.schemas import CostIn
from marketplace.web.filters import money
from marketplace.web.pages import valuation_form as vf
from marketplace.web.pages.valuation_errors import field_errors
from tests.api.valuation_world import COST, INCOME, build_element, settle, value
from tests.api.world import World, build_world
from tests.web.console import Console, console_for
from tests.web.staff_world import active_order, submitted, valued_element

OPERATOR_PAGES = ["/operator/organizations", "/operator/reviews", "/operator/orders",
                  "/operator/fees", "/operator/invoices"]
# The same inputs as tests/api/valuation_world.py's request bodies, typed into the form.
FORMS = {
    "cost": ({"cost.cost_items.collection": "300000", "cost.cost_items.processing": "200000",
              "cost.profit_rate": "0.1"}, COST),
    "income": ({"income.cash_flows_fen": "1000000, 1100000, 1210000",
                "income.risk_free_rate": "0.03", "income.risk_premia.0.name": "market",
                "income.risk_premia.0.rate": "0.05", "income.risk_premia.2.name": "liquidity",
                "income.risk_premia.2.rate": "0.02"}, INCOME),
    "market": ({"market.since": "2020-01-01", "market.k_supply_demand": "1.1"},
               {"market": {"since": "2020-01-01", "k_supply_demand": "1.1"}}),
}


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


def as_(world: World, name: str) -> Console:
    return console_for(world.app, world[name].email)


def valuations(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Valuation)) or 0


def error_of(html: str, field_id: str) -> str:
    found = re.findall(rf'<p class="error" id="{re.escape(field_id)}-err">([^<]*)</p>', html)
    return " ".join(unescape(text) for text in found)


def record_of(world: World, valuation_id: str) -> Any:
    with world.app.app_context():
        row = db.session.get(Valuation, valuation_id)
        assert row is not None
        return row.value_fen, row.low_fen, row.high_fen, row.record["result"], \
            row.record["methods"]


# --- assessor ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(FORMS))
def test_valuation_form_computes_what_the_api_computes(world: World, method: str) -> None:
    element = build_element(world)
    settle(world, build_element(world, "rival"), [100_000, 150_000, 200_000])
    assessor = as_(world, "assessor")
    new = f"/assessor/valuations/new?element={element}&method={method}"
    page = assessor.get(new).get_data(as_text=True)
    assert 'id="method"' in page and 'id="compute"' in page
    assert f'<option value="{method}" selected>' in page
    form, body = FORMS[method]
    response = assessor.post("/assessor/valuations",
                             {"element": element, "method": method, **form}, page=new)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    web_id = response.headers["Location"].rsplit("/", 1)[1]
    api = value(world, element, {"methods": body})
    assert record_of(world, web_id) == record_of(world, api["id"])
    shown = assessor.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<strong>{money(api["value_fen"])}</strong>' in shown
    assert f'<span id="low">{money(api["low_fen"])}</span>' in shown
    assert f'<span id="high">{money(api["high_fen"])}</span>' in shown
    table = shown.split('id="sensitivity"')[1].split("</table>")[0]
    for row in api["record"]["result"]["sensitivity"]:
        assert money(row["value_fen"]) in table
    assert table.count("<tr>") == 1 + len(api["record"]["result"]["sensitivity"])


def test_valuation_form_shows_field_errors_and_records_nothing(world: World) -> None:
    element = build_element(world)
    assessor = as_(world, "assessor")
    new = f"/assessor/valuations/new?element={element}"

    def post(**fields: str) -> tuple[int, str]:
        response = assessor.post("/assessor/valuations", {"element": element, **fields},
                                 page=new)
        return response.status_code, response.get_data(as_text=True)

    status, html = post(method="cost", **{"cost.cost_items.collection": "12x",
                                          "cost.cost_items.taxes": "5",
                                          "cost.profit_rate": "1.5"})
    assert status == 422
    assert error_of(html, "f-cost-cost_items-collection") == "An integer."
    assert error_of(html, "f-cost-profit_rate") == "Must be between 0 and 1."
    assert error_of(html, "f-cost-cost_items-taxes") == ""
    assert 'value="12x"' in html  # what was typed stays in the form

    status, html = post(method="cost")
    assert status == 422
    assert error_of(html, "group-cost-cost_items") == "Missing data for required field."

    status, html = post(method="income", **{"income.cash_flows_fen": "100, -5",
                                            "income.risk_free_rate": "0.03",
                                            "income.risk_premia.1.name": "market",
                                            "income.risk_premia.1.rate": "0.6"})
    assert status == 422
    assert error_of(html, "f-income-cash_flows_fen") == "#2: Must be between 0 and 10000000000000."
    assert error_of(html, "f-income-risk_premia-1-rate") == "Must be between 0 and 0.5."

    status, html = post(method="guess")
    assert status == 422 and error_of(html, "method") == "Choose a method."
    status, html = post(method="cost", valuation_date="2999-01-01",
                        **{"cost.cost_items.collection": "1"})
    assert status == 422
    assert error_of(html, "valuation_date") == "Between the element version's creation and today."
    assert valuations(world) == 0


def test_valuation_pages_refuse_those_who_may_not_value(world: World) -> None:
    element, recorded = valued_element(world)
    merchant = as_(world, "merchant")
    assert merchant.get(f"/assessor/valuations/new?element={element}").status_code == 403
    response = merchant.post("/assessor/valuations", {"element": element, "method": "cost",
                                                      **FORMS["cost"][0]}, page="/console")
    assert response.status_code == 403 and valuations(world) == 1
    assert as_(world, "rival").get(f"/assessor/valuations/{recorded['id']}").status_code == 404
    page = merchant.get(f"/assessor/valuations/{recorded['id']}")  # the owner reads it
    assert page.status_code == 200 and money(recorded["value_fen"]) in page.get_data(as_text=True)
    missing = as_(world, "assessor").get("/assessor/valuations/new?element=elm_aaaaaaaaaaaaaaaa")
    assert missing.status_code == 404


def test_valuation_form_speaks_chinese(world: World) -> None:
    element = build_element(world)
    zh = console_for(world.app, world["assessor"].email, lang="zh")
    html = zh.get(f"/assessor/valuations/new?element={element}").get_data(as_text=True)
    assert "成本法" in html and "第 1 行：名称" in html and "采集（分）" in html
    assert "0 至 1 之间的小数。" in html


@settings(max_examples=50, deadline=None)
@given(amounts=st.dictionaries(st.sampled_from(COST_CATEGORIES),
                               st.integers(0, 10**13), min_size=1),
       rate=st.decimals(0, 1, places=3))
def test_form_document_is_what_the_api_would_be_sent(amounts: dict[str, int],
                                                     rate: Decimal) -> None:
    form = {f"cost.cost_items.{c}": f" {n} " for c, n in amounts.items()}
    form["cost.profit_rate"] = str(rate)
    spec, rows = vf.document("cost", form)
    loaded = load(CostIn(), spec)
    assert {i["category"]: i["amount_fen"] for i in loaded["cost_items"]} == amounts
    assert loaded["profit_rate"] == rate
    assert set(rows.values()) == {f"cost.cost_items.{c}" for c in amounts}


def test_errors_of_list_rows_land_on_the_rows_they_came_from() -> None:
    form = {"income.risk_premia.1.name": "market", "income.risk_premia.1.rate": "x",
            "income.risk_premia.2.name": "", "income.risk_premia.2.rate": "0.01"}
    _spec, rows = vf.document("income", form)
    errors = {"methods": {"income": {"risk_premia": {0: {"rate": ["bad rate"]},
                                                     1: {"name": ["no name"]}},
                                     "_schema": ["whole method"]}}, "currency": ["?"]}
    assert field_errors(errors, vf.known_names("income"), rows) == {
        "income.risk_premia.1.rate": ["bad rate"], "income.risk_premia.2.name": ["no name"],
        "income": ["whole method"], "_form": ["?"]}


# --- operator -----------------------------------------------------------------------------


def test_operator_approves_an_organisation_through_the_page(world: World) -> None:
    operator, org = as_(world, "operator"), world["pending"].org_id
    page = operator.get("/operator/organizations").get_data(as_text=True)
    assert f'id="approve-org-{org}"' in page and "未审核商户 Pending" in page
    path = f"/operator/organizations/{org}/approve"
    response = operator.post(path, page="/operator/organizations")
    assert response.status_code == 303
    assert world.ok("GET", f"/organizations/{org}", world["operator"])["status"] == "approved"
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="approve-org-{org}"' not in page and f"Organisation {org} approved." in page
    crafted = operator.get("/operator/organizations?approved=hacked").get_data(as_text=True)
    assert "Organisation hacked approved." not in crafted
    again = operator.post(path, page="/operator/organizations")
    assert again.status_code == 409 and "already approved" in again.get_data(as_text=True)


def test_review_queue_flags_prices_outside_the_valuation_range(world: World) -> None:
    element, recorded = valued_element(world)
    inside = submitted(world, element, recorded["value_fen"])
    outside = submitted(world, element, recorded["high_fen"] + 1)
    operator = as_(world, "operator")
    page = operator.get("/operator/reviews").get_data(as_text=True)
    assert re.search(rf'id="flag-{inside}" data-flag="within"', page)
    assert re.search(rf'id="flag-{outside}" data-flag="outside"', page)
    assert f'id="approve-{inside}"' in page and f'id="reject-{outside}"' in page

    response = operator.post(f"/operator/reviews/{outside}/approve", {"note": " "},
                             page="/operator/reviews")
    assert response.status_code == 422
    assert "Required: a plan&#39;s price is outside" in response.get_data(as_text=True)
    assert world.ok("GET", f"/listings/{outside}", world["operator"])["state"] == "submitted"
    response = operator.post(f"/operator/reviews/{outside}/approve",
                             {"note": "Priced for the exclusive licence."},
                             page="/operator/reviews")
    assert response.status_code == 303
    approved = world.ok("GET", f"/listings/{outside}", world["operator"])
    assert approved["state"] == "approved"
    assert approved["review"]["note"] == "Priced for the exclusive licence."
    assert operator.post(f"/operator/reviews/{inside}/approve", {},
                         page="/operator/reviews").status_code == 303
    assert f'id="flag-{inside}"' not in operator.get("/operator/reviews").get_data(as_text=True)


def test_rejecting_a_listing_needs_a_reason(world: World) -> None:
    element, _recorded = valued_element(world)
    listing = submitted(world, element, 1)
    operator = as_(world, "operator")
    path = f"/operator/reviews/{listing}/reject"
    response = operator.post(path, {"reason": "   "}, page="/operator/reviews")
    assert response.status_code == 422
    assert "does not match expected pattern" in response.get_data(as_text=True)
    assert world.ok("GET", f"/listings/{listing}", world["operator"])["state"] == "submitted"
    assert operator.post(path, {"reason": "样本数据含个人信息"},
                         page="/operator/reviews").status_code == 303
    rejected = world.ok("GET", f"/listings/{listing}", world["operator"])
    assert rejected["state"] == "rejected"
    assert rejected["review"]["reject_reason"] == "样本数据含个人信息"


def test_revoking_a_license_needs_a_reason_and_changes_its_state(world: World) -> None:
    placed = active_order(world)
    order_id, license_id = placed["id"], placed["license"]["id"]
    operator = as_(world, "operator")
    page = operator.get("/operator/orders").get_data(as_text=True)
    assert f'id="revoke-{order_id}"' in page and 'data-state="active"' in page
    path = f"/operator/orders/{order_id}/revoke"
    assert operator.post(path, {"reason": ""}, page="/operator/orders").status_code == 422
    assert world.ok("GET", f"/licenses/{license_id}", world["buyer"])["state"] == "active"
    response = operator.post(path, {"reason": "转售给第三方，违反许可"}, page="/operator/orders")
    assert response.status_code == 303
    revoked = world.ok("GET", f"/licenses/{license_id}", world["buyer"])
    assert revoked["state"] == "revoked"
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="revoke-{order_id}"' not in page and "转售给第三方，违反许可" in page


def test_operator_adds_a_fee_schedule_version(world: World) -> None:
    operator = as_(world, "operator")
    before = world.ok("GET", "/revenue/fee-schedules", world["operator"])["items"]
    page = operator.get("/operator/fees").get_data(as_text=True)
    assert "in force" in page and 'id="add-fee-schedule"' in page
    form = {"currency": "CNY", "effective_from": "2999-01-01T00:00", "platform_bps": "20000",
            "public_service_bps": "100", "minimum_fee_fen": "50"}
    bad = operator.post("/operator/fees", form, page="/operator/fees")
    assert bad.status_code == 422
    assert "Must be greater than or equal to 0 and less than or equal to 10000." in \
        bad.get_data(as_text=True)
    response = operator.post("/operator/fees", {**form, "platform_bps": "450"},
                             page="/operator/fees")
    assert response.status_code == 303
    after = world.ok("GET", "/revenue/fee-schedules", world["operator"])["items"]
    assert len(after) == len(before) + 1
    added = next(s for s in after if s["effective_from"].startswith("2999-01-01T00:00:00"))
    assert (added["platform_bps"], added["public_service_bps"], added["minimum_fee_fen"]) == \
        (450, 100, 50)
    assert "scheduled" in operator.get("/operator/fees").get_data(as_text=True)


@pytest.mark.parametrize("name", ["buyer", "merchant", "assessor"])
def test_buyers_and_merchants_get_403_on_every_operator_page(world: World, name: str) -> None:
    visitor = as_(world, name)
    assert {path: visitor.get(path).status_code for path in OPERATOR_PAGES} == \
        dict.fromkeys(OPERATOR_PAGES, 403)
    org = world["pending"].org_id
    refused = visitor.post(f"/operator/organizations/{org}/approve", page="/console")
    assert refused.status_code == 403
    assert world.ok("GET", f"/organizations/{org}", world["operator"])["status"] == "pending"


def test_auditor_reads_operator_pages_but_gets_403_on_every_action(world: World) -> None:
    element, _recorded = valued_element(world)
    listing, placed = submitted(world, element, 1), active_order(world)
    auditor = as_(world, "auditor")
    for path in OPERATOR_PAGES:
        page = auditor.get(path)
        assert page.status_code == 200
        assert not re.search(r'id="(approve|reject|revoke)-|id="(add-fee-schedule|run-invoices)"',
                             page.get_data(as_text=True))
    org = world["pending"].org_id
    attempts = {
        f"/operator/organizations/{org}/approve": {},
        f"/operator/reviews/{listing}/approve": {"note": "ok"},
        f"/operator/reviews/{listing}/reject": {"reason": "no"},
        f"/operator/orders/{placed['id']}/revoke": {"reason": "breach"},
        "/operator/fees": {"effective_from": "2999-01-01T00:00", "platform_bps": "1",
                           "public_service_bps": "1", "minimum_fee_fen": "1"},
        "/operator/invoices/run": {"period": "2020-01"},
    }
    seen = {path: auditor.post(path, data, page="/console").status_code
            for path, data in attempts.items()}
    assert seen == dict.fromkeys(attempts, 403)
    assert world.ok("GET", f"/organizations/{org}", world["operator"])["status"] == "pending"
    assert world.ok("GET", f"/listings/{listing}", world["operator"])["state"] == "submitted"
    license_id = placed["license"]["id"]
    assert world.ok("GET", f"/licenses/{license_id}", world["buyer"])["state"] == "active"


@pytest.mark.parametrize("state", list(AgreementState))
def test_only_states_the_table_can_revoke_offer_a_revoke_button(state: AgreementState) -> None:
    assert revocable(state) == ((state, AgreementEvent.REVOKE) in TRANSITIONS)
