"""The public pages in real Chromium (issue 8 §1): search from the home page, filter by a facet,
open the element page — and a merchant's ``<script>`` title runs nothing (XSS acceptance)."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.web.filters import money
from tests.api.valuation_world import COST, value
from tests.api.world import build_world
from tests.web.browser import shoot, unlabelled_inputs
from tests.web.public_world import listed_element

XSS = "<script>alert(1)</script>"


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """No background worker: the element builds run inline (run_pending), no race."""
    return app_factory(WORKER_THREADS=0, validate_contract=False)


def test_search_filter_and_open_an_element(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    credit = listed_element(world, title="企业信用评价", domain="企业",
                            description="德阳市企业信用评价，按季度更新。")
    listed_element(world)
    valued = value(world, credit["element_id"], {"methods": COST})
    page = browser_page
    page.goto(live_server.url + "/")
    page.fill("#home-q", "信用")
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog?q=*")
    assert page.locator("li.hit").count() == 1
    assert page.input_value("#catalog-q") == "信用"
    page.fill("#catalog-q", "")
    page.click("#catalog-submit")
    page.wait_for_load_state()
    assert page.locator("li.hit").count() == 2
    page.check("#facet-domain input[value='企业']")
    page.click("#catalog-apply")
    page.wait_for_url("**domain=*")
    assert page.locator("li.hit").count() == 1
    assert page.is_checked("#facet-domain input[value='企业']")
    assert unlabelled_inputs(page) == []
    shoot(page, "public-catalog")
    page.click(f"#hit-{credit['listing_id']} h3 a")
    page.wait_for_url(f"**/elements/{credit['element_id']}")
    assert page.inner_text("#element-title") == "企业信用评价"
    assert page.locator("svg.chart").count() == 1
    assert page.locator("#element-schema tbody tr").count() == 3
    assert page.inner_text("#valuation-range") == \
        f"{money(valued['low_fen'])} – {money(valued['high_fen'])}"  # anonymous: the range
    assert unlabelled_inputs(page) == []
    shoot(page, "public-element")


def test_a_script_title_runs_nothing(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    ids = listed_element(world, title=XSS, description=XSS)
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/elements/{ids['element_id']}")
    assert page.inner_text("#element-title") == XSS  # shown as text
    page.goto(live_server.url + "/catalog?q=alert")
    assert page.inner_text(f"#hit-{ids['listing_id']} h3") == XSS
    page.goto(live_server.url + "/")
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
