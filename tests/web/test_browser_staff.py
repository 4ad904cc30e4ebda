"""Assessor and operator pages in real Chromium (issue 8 §4–5): record a valuation through the
per-method form, approve an organisation and a listing from the queue, reject one by keyboard,
revoke a license with a reason and add a fee schedule — no console errors, every input
labelled, a screenshot of every page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.valuation_world import build_element
from tests.api.world import PASSWORD, World, build_world
from tests.web.browser import shoot, unlabelled_inputs
from tests.web.staff_world import active_order, submitted, valued_element


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """No background worker: the element builds run inline (run_pending), no race."""
    return app_factory(WORKER_THREADS=0, validate_contract=False)


def sign_in(page: Any, url: str, world: World, name: str, target: str) -> None:
    page.goto(url + target)
    page.fill("#email", world[name].email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + target)


def test_assessor_records_a_valuation(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    element = build_element(world)
    page, url = browser_page, live_server.url
    sign_in(page, url, world, "assessor", "/assessor/valuations")
    page.fill("#element", element)
    page.click("#value-element")
    page.wait_for_url(f"**/assessor/valuations/new?element={element}")
    assert page.is_visible("#method-cost") and not page.is_visible("#method-income")
    page.select_option("#method", "income")
    assert page.is_visible("#method-income") and not page.is_visible("#method-cost")
    page.select_option("#method", "cost")
    page.fill("#f-cost-cost_items-collection", "300000")
    page.fill("#f-cost-cost_items-processing", "200000")
    page.fill("#f-cost-profit_rate", "0.1")
    assert unlabelled_inputs(page) == []
    shoot(page, "assessor-valuation-new")
    page.click("#compute")
    page.wait_for_url("**/assessor/valuations/val_*")
    recorded = world.ok("GET", f"/elements/{element}/valuations", world["assessor"])["items"]
    assert len(recorded) == 1 and page.url.endswith(recorded[0]["id"])
    assert page.inner_text("#value").startswith("¥")
    assert page.locator("#sensitivity tbody tr").count() == 4
    assert page.locator("svg.chart").count() == 1
    shoot(page, "assessor-valuation")


def test_operator_approves_reviews_revokes_and_sets_fees(live_server: Any,
                                                         browser_page: Any) -> None:
    world = build_world(live_server.app)
    element, valuation = valued_element(world)
    inside = submitted(world, element, valuation["value_fen"])
    outside = submitted(world, element, valuation["high_fen"] + 100)
    order_id = active_order(world)["id"]
    org = world["pending"].org_id
    page, url = browser_page, live_server.url
    sign_in(page, url, world, "operator", "/operator/organizations")
    shoot(page, "operator-organizations")
    page.click(f"#approve-org-{org}")
    page.wait_for_url("**/operator/organizations?approved=*")
    assert page.locator(f"#approve-org-{org}").count() == 0
    assert world.ok("GET", f"/organizations/{org}", world["operator"])["status"] == "approved"

    page.click("nav.tabs >> text=Listing reviews")
    page.wait_for_url(url + "/operator/reviews")
    assert page.get_attribute(f"#flag-{inside}", "data-flag") == "within"
    assert page.get_attribute(f"#flag-{outside}", "data-flag") == "outside"
    assert unlabelled_inputs(page) == []
    shoot(page, "operator-reviews")
    page.click(f"#approve-{inside}")
    page.wait_for_url("**/operator/reviews?approved=*")
    assert world.ok("GET", f"/listings/{inside}", world["operator"])["state"] == "approved"
    page.focus(f"#reason-{outside}")  # reject by keyboard: type, Tab to the button, Enter
    page.keyboard.type("价格远高于估值区间")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"reject-{outside}"
    page.keyboard.press("Enter")
    page.wait_for_url("**/operator/reviews?rejected=*")
    rejected = world.ok("GET", f"/listings/{outside}", world["operator"])
    assert rejected["state"] == "rejected"
    assert rejected["review"]["reject_reason"] == "价格远高于估值区间"

    page.goto(url + "/operator/orders")
    assert unlabelled_inputs(page) == []
    shoot(page, "operator-orders")
    page.fill(f"#reason-{order_id}", "转售给第三方")
    page.click(f"#revoke-{order_id}")
    page.wait_for_url("**/operator/orders?revoked=*")
    assert page.get_attribute(f"#state-{order_id}", "data-state") == "revoked"

    page.goto(url + "/operator/fees")
    page.fill("#effective_from", "2999-01-01T00:00")
    page.fill("#platform_bps", "450")
    page.fill("#public_service_bps", "100")
    page.fill("#minimum_fee_fen", "50")
    assert unlabelled_inputs(page) == []
    page.click("#add-fee-schedule")
    page.wait_for_url("**/operator/fees?added=*")
    assert page.locator("#fee-schedules tbody tr").filter(has_text="450 bp").count() == 1
    shoot(page, "operator-fees")
