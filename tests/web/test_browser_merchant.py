"""The merchant console in real Chromium (issue 8 §2 and the acceptance flow): register an asset,
upload a GBK CSV through the page (the progress bar reaches 100 and the encoding is shown),
build an element with the pipeline builder (a validation error first, then a live job), set its
query policy, create and submit a listing, and read the revenue statement."""

from __future__ import annotations

import json
from typing import Any

from tests.api.payment_world import paid_order
from tests.api.world import PASSWORD, build_world
from tests.web.browser import shoot, unlabelled_inputs

ROWS = 5_000
GBK_CSV = ("区县,类别,数量\n" + "".join(
    f"{d},{c},{i % 97}\n" for i in range(ROWS)
    for d, c in [(("旌阳区", "罗江区", "广汉市", "什邡市")[i % 4], ("交通", "企业")[i % 2])]
)).encode("gbk")
WATCH_PROGRESS = """() => {
  const bar = document.getElementById('upload-progress');
  sessionStorage.setItem('maxProgress', '0');
  new MutationObserver(() => sessionStorage.setItem('maxProgress',
      String(Math.max(Number(sessionStorage.getItem('maxProgress')), bar.value))))
    .observe(bar, {attributes: true});
}"""


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/login?next=/merchant/assets")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/merchant/assets")


def checked(page: Any, name: str) -> None:
    assert unlabelled_inputs(page) == []
    shoot(page, name)


def test_upload_build_and_list_in_the_browser(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    page, url = browser_page, live_server.url
    sign_in(page, url, world["merchant"].email)

    page.click("#new-asset")
    page.fill("#asset-title", "德阳市交通流量")
    for name, value in (("domain", "交通"), ("source", "交通运输局"),
                        ("collection_method", "sensors"), ("area_coverage", "德阳市")):
        page.fill(f"#asset-{name}", value)
    page.check("#asset-pii-no")
    assert unlabelled_inputs(page) == []
    page.focus("#asset-tags")
    page.keyboard.press("Enter")  # the form submits by keyboard
    page.wait_for_selector("#upload-form")

    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#upload-file", files=[{
        "name": "traffic-gbk.csv", "mimeType": "text/csv", "buffer": GBK_CSV}])
    page.click("#upload-submit")
    page.wait_for_selector("#version-1", timeout=30_000)
    assert float(page.evaluate("sessionStorage.getItem('maxProgress')")) == 100
    encoding = page.inner_text("#version-1 td.encoding")
    assert "GBK" in encoding and "UTF-8" in encoding
    assert page.inner_text("#version-1 td.rows") == f"{ROWS:,}"
    checked(page, "merchant-asset")

    page.click("#build-from-1")
    spec = json.loads(page.input_value("#spec"))
    spec["steps"] = [{"type": "select", "columns": ["区县", "类别x"]}]
    page.fill("#spec", json.dumps(spec, ensure_ascii=False, indent=2))
    page.click("#build")
    page.wait_for_selector("#spec-errors")
    assert "steps.0" in page.inner_text("#spec-errors")
    checked(page, "merchant-pipeline")
    # The refused spec is answered 422 on purpose; Chromium logs that status, nothing else.
    assert [p for p in page.elx_problems if "422" not in p] == []
    page.elx_problems.clear()

    spec["steps"] = [{"type": "aggregate", "group_by": ["区县", "类别"],
                      "aggregations": [{"fn": "sum", "column": "数量", "as": "合计"}]}]
    spec["element"]["title"] = "区县交通流量汇总"
    page.fill("#spec", json.dumps(spec, ensure_ascii=False, indent=2))
    page.click("#build")
    page.wait_for_url("**/merchant/jobs/job_*")
    page.wait_for_selector("#element-link", timeout=60_000)  # merchant.js polls, then reloads
    assert page.get_attribute("#job-state .badge", "data-state") == "succeeded"
    assert page.get_attribute("#job-progress", "value") == "100"
    checked(page, "merchant-job")

    page.click("#element-link")
    page.wait_for_selector("#quality-dimensions")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("#schema tbody tr").count() == 3
    checked(page, "merchant-element")

    assert page.get_attribute("#query-policy-source", "data-source") == "none"
    page.click("#edit-query-policy")
    page.wait_for_selector("#policy-form")
    page.select_option("#policy-identity", "区县")
    page.uncheck("#policy-dimensions-0")
    page.check("#policy-dimensions-1")
    page.uncheck("#policy-dimensions-2")
    for fn in ("count", "sum", "avg"):
        page.check(f"#policy-aggregates-2-{fn}")
    page.fill("#policy-aggregates-2-lower", "0")
    page.fill("#policy-aggregates-2-upper", "5000")
    page.fill("#policy-k", "2")
    page.fill("#policy-max_rows_per_identity", "2")
    checked(page, "merchant-query-policy")
    page.click("#policy-save")
    page.wait_for_selector("#query-policy-source[data-source='stored']")
    element_id = page.url.rsplit("/", 1)[1]
    stored = world.ok("GET", f"/elements/{element_id}/query-policy", world["merchant"])
    assert (stored["policy"]["identity"], stored["policy"]["dimensions"], stored["policy"]["k"]) \
        == ("区县", ["类别"], 2)
    assert stored["policy"]["aggregates"] == {"合计": {
        "functions": ["avg", "count", "sum"], "lower": "0", "upper": "5000"}}

    page.click("#create-listing")
    page.fill("#listing-domain", "交通")
    page.select_option("#listing-template", "internal-analytics")
    page.select_option("#plan-0-kind", "one_off")
    page.fill("#plan-0-price", "500")
    assert unlabelled_inputs(page) == []
    page.click("#listing-create")
    page.wait_for_selector("#listing-submit")
    page.click("#listing-submit")
    page.wait_for_selector("#listing-state [data-state='submitted']")
    page.click("nav.subnav >> text=Listings")
    page.wait_for_url(url + "/merchant/listings")
    assert page.locator("#listings [data-state='submitted']").count() == 1
    checked(page, "merchant-listings")

    page.click("nav.subnav >> text=Assets")
    page.wait_for_url(url + "/merchant/assets")
    assert page.locator("#assets tbody tr").count() == 1
    checked(page, "merchant-assets")

    paid_order(world, 50_000)
    page.click("nav.subnav >> text=Revenue")
    page.wait_for_url(url + "/merchant/revenue")
    assert page.inner_text("#gross") == "¥500.00"
    assert page.locator("svg.chart").count() == 1
    checked(page, "merchant-revenue")
