"""The buyer console in real Chromium (issue 8 §3 and acceptance): order a listing (terms
accepted by keyboard), pay with a test card (fake gateway), run a sandbox query and see its
answer and receipt without a page reload, a hostile query refused, an API key shown once, and
the usage page — with a screenshot of each page, labelled inputs and no console errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.world import PASSWORD, build_world
from tests.web.browser import shoot, unlabelled_inputs
from tests.web.buyer_world import market


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """No background worker: the element builds run inline (run_pending), no race."""
    return app_factory(WORKER_THREADS=0, validate_contract=False)


def _sign_in(page: Any, base: str, email: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{target}")


def _expected_refusals(page: Any, *statuses: int) -> None:
    """Chromium logs every non-2xx response as a console error; take out the refusals this
    test provokes on purpose (once each), so any other console error still fails it."""
    for status in statuses:
        wanted = [p for p in page.elx_problems if f"status of {status} " in p]
        assert len(wanted) == 1, page.elx_problems
        page.elx_problems.remove(wanted[0])


def test_order_pay_query_and_receipt(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    m = market(world)
    page, base = browser_page, live_server.url
    _sign_in(page, base, world["buyer"].email, f"/buyer/orders/new?listing={m['listing']['id']}")
    assert unlabelled_inputs(page) == []
    with page.expect_navigation():  # buyer.js shows the chosen plan's terms at once
        page.select_option("#plan", m["one_off"])
    assert page.input_value("#plan") == m["one_off"]
    assert "¥500.00" in page.inner_text("#amount-due")
    assert page.inner_text("#contract-zh").strip() and page.inner_text("#contract-en").strip()
    shoot(page, "buyer-order-new")
    page.focus("#accept-terms")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "place-order"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/buyer/orders/ord_\w+$"))
    assert page.get_attribute("#order-state .badge", "data-state") == "awaiting_payment"
    assert unlabelled_inputs(page) == []
    shoot(page, "buyer-order")

    page.select_option("#card", "pm_card_visa_chargeDeclined")
    page.click("#pay")
    page.wait_for_selector("#payment-message")
    assert "generic_decline" in page.inner_text("#payment-message")
    page.select_option("#card", "pm_card_visa")
    page.click("#pay")
    page.wait_for_selector("#license-ready")
    assert page.get_attribute("#license-state .badge", "data-state") == "active"

    page.click("#license-link")
    page.wait_for_selector("#license-facts")
    assert "0 of 5 used, 5 remaining" in page.inner_text("#quota")
    assert page.inner_text("#contract-zh").strip() and page.inner_text("#contract-en").strip()
    shoot(page, "buyer-license")

    page.click("#open-sandbox")
    page.wait_for_selector("#sql")
    assert unlabelled_inputs(page) == []
    page.evaluate("window.elxNoReload = true")
    page.fill("#sql", "SELECT 区县, count(*) AS n FROM element GROUP BY 区县")
    page.click("#run-query")
    page.wait_for_selector("#receipt")
    assert page.evaluate("window.elxNoReload === true")  # answered in place (fetch)
    assert page.inner_text("#epsilon-spent").strip() == "1"
    assert page.inner_text("#epsilon-remaining").strip() == "2"
    assert page.locator("#result tbody tr").count() >= 1
    index = page.inner_text("#receipt-link").strip().lstrip("#")
    assert page.get_attribute("#receipt-link", "href") == f"/ledger/entries/{index}"
    assert re.fullmatch(r"[0-9a-f]{64}", page.inner_text("#receipt-leaf").strip())
    shoot(page, "buyer-sandbox")

    page.fill("#sql", "SELECT * FROM read_csv('/etc/passwd')")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#query-message")
    assert "Validation failed" in page.inner_text("#query-message")
    assert page.locator("#receipt").count() == 0

    page.goto(f"{base}/buyer/api-keys")
    page.fill("#key-name", "nightly report")
    page.click("#create-key")
    page.wait_for_selector("#new-key-value")
    key = page.input_value("#new-key-value")
    assert key.startswith("elx_key_")
    assert unlabelled_inputs(page) == []
    shoot(page, "buyer-api-keys")
    page.goto(f"{base}/buyer/api-keys")
    assert key not in page.content() and key.rsplit("_", 1)[0] + "_…" in page.content()

    page.goto(f"{base}/buyer/usage")
    assert page.locator("#licenses tbody tr").count() == 1
    assert page.locator("svg.chart").count() == 1
    shoot(page, "buyer-usage")
    _expected_refusals(page, 402, 422)  # the declined card, the hostile query
