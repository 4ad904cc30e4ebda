"""The console's end-to-end acceptance flow in real Chromium (issue 8): a merchant uploads a
GBK CSV, builds an element and lists it; the operator approves it; a buyer finds it, pays with a
test card at a real payments server (localstripe, as under ``make run``), runs a sandbox query,
opens the receipt and verifies it in the browser; the auditor sees the split in the trial
balance. Every person has their own browser context; every page is screenshotted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.world import PASSWORD, World, build_world
from tests.payments_server import LocalStripe, localstripe  # noqa: F401
from tests.web.browser import LiveServer, copy_for_readme, shoot, unlabelled_inputs

SECRET = "whsec_e2e_console"
DISTRICTS = ("旌阳区", "罗江区", "广汉市", "什邡市")
ROWS = 400
GBK_CSV = ("编号,区县,类别,数量\n" + "".join(
    f"{i},{DISTRICTS[i % 4]},{('交通', '企业')[i % 2]},{i % 10}\n" for i in range(1, ROWS + 1)
)).encode("gbk")
PRICE_YUAN = "800"


@pytest.fixture
def live(app_factory: Any, localstripe: LocalStripe) -> Iterator[LiveServer]:  # noqa: F811
    localstripe.flush()
    app = app_factory(PAYMENTS_GATEWAY="stripe", STRIPE_WEBHOOK_SECRET=SECRET,
                      WORKER_THREADS=1, validate_contract=False, **localstripe.config)
    with LiveServer(app) as server:
        localstripe.register_webhook(f"{server.url}/api/v1/payments/webhook", SECRET)
        try:
            yield server
        finally:
            localstripe.register_webhook("http://127.0.0.1:9/nowhere", SECRET)


class People:
    """One browser context per person, each collecting console errors."""

    def __init__(self, chromium: Any, live: LiveServer, world: World) -> None:
        self.chromium, self.live, self.world = chromium, live, world
        self.contexts: list[Any] = []
        self.pages: list[Any] = []

    def sign_in(self, who: str, target: str) -> Any:
        context = self.chromium.new_context(locale="en-US", viewport={"width": 1280,
                                                                      "height": 900})
        self.contexts.append(context)
        page = context.new_page()
        page.elx_problems = []
        page.on("console", lambda m: page.elx_problems.append(m.text)
                if m.type == "error" else None)
        page.on("pageerror", lambda e: page.elx_problems.append(str(e)))
        self.pages.append(page)
        page.goto(f"{self.live.url}/login?next={target}")
        page.fill("#email", self.world[who].email)
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{self.live.url}{target}")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def page_ok(page: Any, name: str, readme: str | None = None) -> None:
    """Labels on every input, no console error so far, and a screenshot."""
    assert unlabelled_inputs(page) == [], name
    assert page.elx_problems == [], (name, page.elx_problems)
    path = shoot(page, f"e2e-{name}")
    if readme:
        copy_for_readme(path, readme)


def merchant_lists_an_element(people: People) -> str:
    page = people.sign_in("merchant", "/merchant/assets")
    page.click("#new-asset")
    page.fill("#asset-title", "德阳市区县交通与企业登记")
    for name, value in (("domain", "交通"), ("source", "德阳市数据局"),
                        ("collection_method", "registry"), ("area_coverage", "德阳市")):
        page.fill(f"#asset-{name}", value)
    page.check("#asset-pii-no")
    page_ok(page, "merchant-asset-new")
    page.click("button[type=submit] >> nth=-1")
    page.wait_for_selector("#upload-form")
    page.set_input_files("#upload-file", files=[{
        "name": "districts-gbk.csv", "mimeType": "text/csv", "buffer": GBK_CSV}])
    page.click("#upload-submit")
    page.wait_for_selector("#version-1", timeout=30_000)
    assert "GBK" in page.inner_text("#version-1 td.encoding")
    page_ok(page, "merchant-asset", readme="merchant-asset.png")

    page.click("#build-from-1")
    spec = json.loads(page.input_value("#spec"))
    spec["steps"] = [{"type": "select", "columns": ["编号", "区县", "类别", "数量"]}]
    spec["element"]["title"] = "区县交通与企业明细"
    page.fill("#spec", json.dumps(spec, ensure_ascii=False, indent=2))
    page_ok(page, "merchant-pipeline")
    page.click("#build")
    page.wait_for_url("**/merchant/jobs/job_*")
    page.wait_for_selector("#element-link", timeout=120_000)
    page_ok(page, "merchant-job")
    page.click("#element-link")
    page.wait_for_selector("#quality-dimensions")
    page_ok(page, "merchant-element", readme="merchant-element.png")
    element_url = page.url

    page.click("#edit-query-policy")
    page.wait_for_selector("#policy-save")
    set_policy(page)
    page_ok(page, "merchant-query-policy")
    page.click("#policy-save")
    page.wait_for_url(element_url)

    page.click("#create-listing")
    page.fill("#listing-title", "区县交通与企业明细（沙箱）")
    page.fill("#listing-domain", "交通")
    page.select_option("#listing-template", "internal-analytics")
    page.check("#listing-mode-sandbox")
    page.select_option("#plan-0-kind", "one_off")
    page.fill("#plan-0-price", PRICE_YUAN)
    page_ok(page, "merchant-listing-new")
    page.click("#listing-create")
    page.wait_for_selector("#listing-submit")
    page.click("#listing-submit")
    page.wait_for_selector("#listing-state [data-state='submitted']")
    listing_id = page.url.rstrip("/").rsplit("/", 1)[1]
    return listing_id


def set_policy(page: Any) -> None:
    """Fill the query policy form for the demo columns (ids from the merchant policy page)."""
    fields = {"identity": "编号", "k": "2", "epsilon_per_query": "1",
              "epsilon_per_license": "5"}
    for name, value in fields.items():
        locator = page.locator(f"#policy-{name}")
        if locator.evaluate("el => el.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


def operator_approves(people: People, listing_id: str) -> None:
    page = people.sign_in("operator", "/operator/reviews")
    page.wait_for_selector(f"#approve-{listing_id}")
    page_ok(page, "operator-reviews", readme="operator-reviews.png")
    page.fill(f"#note-{listing_id}", "材料齐全，同意上架")
    page.click(f"#approve-{listing_id}")
    page.wait_for_load_state()
    assert page.locator(f"#approve-{listing_id}").count() == 0


def merchant_publishes(people: People, listing_id: str) -> None:
    page = people.pages[0]
    page.goto(f"{people.live.url}/merchant/listings/{listing_id}")
    page.click("#publish")
    page.wait_for_selector("#listing-state [data-state='listed']")


def buyer_buys_queries_and_verifies(people: People, listing_id: str) -> None:
    page = people.sign_in("buyer", "/console")
    page.goto(f"{people.live.url}/catalog?q=区县交通")
    page_ok(page, "catalog", readme="catalog.png")
    page.click("main a[href^='/elements/'] >> nth=0")
    page.wait_for_url(re.compile(r".*/elements/\w+"))
    page_ok(page, "element", readme="element.png")
    page.click(f"a[href*='listing={listing_id}']")
    page.wait_for_selector("#order-form")
    page_ok(page, "buyer-order-new")
    page.check("#accept-terms")
    page.click("#place-order")
    page.wait_for_url(re.compile(r".*/buyer/orders/ord_\w+$"))
    page.select_option("#card", "pm_card_visa")
    page_ok(page, "buyer-checkout", readme="buyer-checkout.png")
    page.click("#pay")
    page.wait_for_selector("#license-ready", timeout=30_000)
    assert page.get_attribute("#license-state .badge", "data-state") == "active"
    page.click("#license-link")
    page.wait_for_selector("#open-sandbox")
    page.click("#open-sandbox")
    page.wait_for_selector("#sql")
    page.fill("#sql", "SELECT 区县, count(*) AS n FROM element GROUP BY 区县")
    page.click("#run-query")
    page.wait_for_selector("#receipt", timeout=30_000)
    assert page.locator("#result tbody tr").count() >= 1
    page_ok(page, "buyer-sandbox", readme="buyer-sandbox.png")
    page.click("#receipt-link")
    page.wait_for_selector("#verify")
    page.click("#verify")
    page.wait_for_selector("#verdict[data-state='ok']", timeout=30_000)
    assert "verified" in page.inner_text("#verdict")
    page_ok(page, "ledger-receipt-verified", readme="ledger-verified.png")


def auditor_sees_the_split(people: People) -> None:
    page = people.sign_in("auditor", "/audit/trial-balance")
    page.wait_for_selector("#split-chart")
    text = page.inner_text("main")
    assert "¥800.00" in text  # the gross of the sale, split below it
    page_ok(page, "audit-trial-balance", readme="audit-trial-balance.png")


def test_merchant_to_buyer_to_auditor(live: LiveServer, chromium: Any) -> None:
    world = build_world(live.app)
    people = People(chromium, live, world)
    try:
        listing_id = merchant_lists_an_element(people)
        operator_approves(people, listing_id)
        merchant_publishes(people, listing_id)
        buyer_buys_queries_and_verifies(people, listing_id)
        auditor_sees_the_split(people)
    finally:
        people.close()
