"""The merchant console (issue 8 §2) over the real services: register an asset, upload a GBK CSV
(plain form and streamed like merchant.js) and see its encoding, download the certificate the
API serves, build an element with the pipeline builder (errors at their step paths; live job
status), list it, and read the revenue statement of a paid order. Other people are refused."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import ValidationFailed
from marketplace.jobs.worker import run_pending
from marketplace.web.pages.merchant_common import flatten, parse_fen
from marketplace.web.pages.merchant_revenue import months
from tests.api.listing_world import build_element
from tests.api.world import World, build_world
from tests.web.console import Console, console_for

GBK_CSV = ("区县,类别,数量\n旌阳区,交通,3\n罗江区,企业,5\n广汉市,交通,7\n"
           "绵竹市,农业,2\n").encode("gbk")
ASSET_FORM = {"title": "德阳市交通流量", "description": "Traffic counts", "domain": "交通",
              "source": "交通运输局", "collection_method": "sensors", "area_coverage": "德阳市",
              "update_frequency": "daily", "classification": "general",
              "contains_personal_info": "no", "tags": "交通, 流量",
              "coverage_start": "2024-01-01", "coverage_end": "2024-12-31"}


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


@pytest.fixture
def merchant(app: Any, world: World) -> Console:
    return console_for(app, world["merchant"].email)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def register_asset(merchant: Console, **fields: str) -> str:
    response = merchant.post("/merchant/assets", {**ASSET_FORM, **fields},
                             page="/merchant/assets/new")
    assert response.status_code == 303, text(response)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


def upload(merchant: Console, asset_id: str, data: bytes = GBK_CSV, **fields: str) -> Any:
    path = f"/merchant/assets/{asset_id}/versions"
    return merchant.post(path, {"file": (io.BytesIO(data), "traffic.csv"), **fields},
                         page=f"/merchant/assets/{asset_id}", content_type="multipart/form-data")


def first_version_id(app: Any, asset_id: str) -> str:
    from marketplace.assets.models import AssetVersion
    from marketplace.db import db

    with app.app_context():
        return db.session.query(AssetVersion.id).filter_by(asset_id=asset_id).scalar()


def test_register_asset_and_upload_gbk_csv_shows_the_encoding(app: Any, world: World,
                                                              merchant: Console) -> None:
    asset_id = register_asset(merchant)
    assert "德阳市交通流量" in text(merchant.get("/merchant/assets"))
    response = upload(merchant, asset_id)
    assert response.status_code == 303
    html = text(merchant.get(f"/merchant/assets/{asset_id}"))
    row = re.search(r'<tr id="version-1">(.*?)</tr>', html, re.S)
    assert row, html
    assert "<strong>GBK</strong>" in row.group(1) and "transcoded to UTF-8" in row.group(1)
    assert '<td class="num rows">4</td>' in row.group(1)
    api = world.ok("GET", f"/assets/{asset_id}/versions", world["merchant"])["items"][0]
    assert api["encoding"] == "gbk" and api["row_count"] == 4
    assert api["sha256"][:16] in row.group(1)
    chinese = text(console_for(app, world["merchant"].email, lang="zh")
                   .get(f"/merchant/assets/{asset_id}"))
    assert "已转码为 UTF-8" in chinese and "上传新版本" in chinese


def test_streamed_upload_with_header_token_and_declared_encoding(app: Any, world: World,
                                                                 merchant: Console) -> None:
    """What merchant.js sends: multipart with only the file, the token as a header."""
    asset_id = register_asset(merchant)
    token = merchant.token(f"/merchant/assets/{asset_id}")
    response = merchant.client.post(
        f"/merchant/assets/{asset_id}/versions?encoding=gb18030",
        data={"file": (io.BytesIO(GBK_CSV), "t.csv")}, content_type="multipart/form-data",
        headers={"X-CSRF-Token": token})
    assert response.status_code == 303, text(response)[:2000]
    api = world.ok("GET", f"/assets/{asset_id}/versions", world["merchant"])["items"][0]
    assert (api["encoding"], api["encoding_source"], api["row_count"]) == \
        ("gb18030", "declared", 4)


def test_bad_upload_and_bad_registration_are_shown_next_to_the_form(app: Any, world: World,
                                                                    merchant: Console) -> None:
    response = merchant.post("/merchant/assets", {**ASSET_FORM, "title": "",
                                                  "coverage_end": "2020-01-01"},
                             page="/merchant/assets/new")
    assert response.status_code == 422
    html = text(response)
    assert 'id="title-errors"' in html and "time_coverage.end" in html
    asset_id = register_asset(merchant)
    response = upload(merchant, asset_id, data=b"a,b\n1,2\n\x00\x00", encoding="utf-8")
    assert response.status_code in (400, 415, 422)
    assert 'id="upload-errors"' in text(response)
    assert world.ok("GET", f"/assets/{asset_id}/versions", world["merchant"])["items"] == []


def test_certificate_download_is_the_api_certificate_byte_for_byte(app: Any, world: World,
                                                                  merchant: Console) -> None:
    asset_id = register_asset(merchant)
    upload(merchant, asset_id)
    api = world.call("GET", f"/assets/{asset_id}/certificate?version=1", world["merchant"])
    page = merchant.get(f"/merchant/assets/{asset_id}/certificate?version=1")
    assert page.status_code == 200 and api.status_code == 200
    assert page.data == api.data
    assert page.headers["Content-Disposition"].startswith("attachment;")
    assert json.loads(page.data)["receipt"]


def test_rival_merchant_and_staff_cannot_open_org_a_pages(app: Any, world: World,
                                                          merchant: Console) -> None:
    asset_id = register_asset(merchant)
    upload(merchant, asset_id)
    version_id = first_version_id(app, asset_id)
    rival = console_for(app, world["rival"].email)
    assert rival.get(f"/merchant/assets/{asset_id}").status_code == 404
    assert rival.get(f"/merchant/assets/{asset_id}/certificate").status_code == 404
    assert rival.get(f"/merchant/pipelines/new?asset_version={version_id}").status_code == 404
    assert "德阳市交通流量" not in text(rival.get("/merchant/assets"))
    forged = rival.post(f"/merchant/assets/{asset_id}/versions",
                        {"file": (io.BytesIO(GBK_CSV), "x.csv")}, page="/merchant/assets",
                        content_type="multipart/form-data")
    assert forged.status_code == 404
    assert world.ok("GET", f"/assets/{asset_id}", world["merchant"])["latest_version"] == 1
    for name in ("operator", "buyer", "pending", "outsider"):
        assert console_for(app, world[name].email).get("/merchant/assets").status_code == 403


def builder_spec(merchant: Console, version_id: str) -> dict[str, Any]:
    html = text(merchant.get(f"/merchant/pipelines/new?asset_version={version_id}"))
    match = re.search(r'<textarea id="spec"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, html
    import html as html_lib

    return json.loads(html_lib.unescape(match.group(1)))


def test_builder_shows_spec_errors_with_their_step_paths(app: Any, merchant: Console) -> None:
    asset_id = register_asset(merchant)
    upload(merchant, asset_id)
    spec = builder_spec(merchant, first_version_id(app, asset_id))
    assert spec["steps"] == [{"type": "select", "columns": ["区县", "类别", "数量"]}]
    spec["steps"] = [{"type": "mask", "columns": ["区县x"], "keep_first": 1}]
    response = merchant.post("/merchant/pipelines", {"spec": json.dumps(spec)},
                             page="/merchant/pipelines/new")
    assert response.status_code == 422
    errors = re.search(r'<ul class="error" id="spec-errors">(.*?)</ul>', text(response), re.S)
    assert errors and '<code class="path">steps.0' in errors.group(1)
    assert "区县x" in errors.group(1)
    broken = merchant.post("/merchant/pipelines", {"spec": "{not json"},
                           page="/merchant/pipelines/new")
    assert broken.status_code == 422 and '<code class="path">spec</code>' in text(broken)
    assert "{not json" in text(broken)  # the text is kept for fixing


def test_valid_spec_builds_a_job_whose_page_links_the_element(app: Any,
                                                              merchant: Console) -> None:
    asset_id = register_asset(merchant)
    upload(merchant, asset_id)
    spec = builder_spec(merchant, first_version_id(app, asset_id))
    spec["element"]["title"] = "区县交通统计"
    response = merchant.post("/merchant/pipelines", {"spec": json.dumps(spec)},
                             page="/merchant/pipelines/new")
    assert response.status_code == 303
    job_path = response.headers["Location"]
    assert re.fullmatch(r"/merchant/jobs/job_[a-z2-7]+", job_path)
    queued = merchant.get(job_path + ".json").get_json()
    assert (queued["state"], queued["final"], queued["result"]) == ("queued", False, None)
    assert 'http-equiv="refresh"' in text(merchant.get(job_path))
    run_pending(app)
    done = merchant.get(job_path + ".json").get_json()
    assert (done["state"], done["percent"], done["final"]) == ("succeeded", 100, True)
    html = text(merchant.get(job_path))
    assert 'data-state="succeeded"' in html and 'http-equiv="refresh"' not in html
    element_id = done["result"]["element_id"]
    assert f'id="element-link" href="/merchant/elements/{element_id}"' in html
    element = text(merchant.get(f"/merchant/elements/{element_id}"))
    assert "区县交通统计" in element and 'id="quality-dimensions"' in element
    assert "<svg" in element and 'id="pii"' in element
    assert "区县交通统计" in text(merchant.get("/merchant/elements"))
    again = text(merchant.get(f"/merchant/pipelines/new?element={element_id}"))
    assert f'name="element_id" value="{element_id}"' in again
    spec["steps"] = [{"type": "select", "columns": ["区县", "数量"]}]
    response = merchant.post("/merchant/pipelines", {"spec": json.dumps(spec),
                                                     "element_id": element_id},
                             page="/merchant/pipelines/new")
    assert response.status_code == 303
    run_pending(app)
    second = merchant.get(response.headers["Location"] + ".json").get_json()
    assert second["state"] == "succeeded" and second["result"]["element_id"] == element_id
    versions = text(merchant.get(f"/merchant/elements/{element_id}"))
    assert f'href="/merchant/elements/{element_id}?version=2"' in versions


def test_listing_create_submit_publish_and_review_reasons(app: Any, world: World,
                                                         merchant: Console) -> None:
    element_id = build_element(world)["element_id"]
    form = f"/merchant/listings/new?element={element_id}"
    bad = merchant.post("/merchant/listings", {
        "element_id": element_id, "domain": "交通", "license_template": "internal-analytics",
        "modes": ["records_api", "sandbox"], "plan-0-kind": "one_off", "plan-0-price": "12.345"},
        page=form)
    assert bad.status_code == 422 and "plans.0.price_fen" in text(bad)
    created = merchant.post("/merchant/listings", {
        "element_id": element_id, "domain": "交通", "license_template": "internal-analytics",
        "title": "区县统计 <b>新</b>", "modes": ["records_api", "sandbox"],
        "plan-0-kind": "one_off", "plan-0-price": "500", "plan-1-kind": "metered",
        "plan-1-unit": "sandbox_query", "plan-1-price": "2.50", "plan-1-quota": "10"}, page=form)
    assert created.status_code == 303, text(created)[:3000]
    path = created.headers["Location"]
    listing_id = path.rsplit("/", 1)[1]
    api = world.ok("GET", f"/listings/{listing_id}", world["merchant"])
    assert api["state"] == "draft" and api["title"] == "区县统计 <b>新</b>"
    assert [(p["kind"], p.get("price_fen"), p.get("unit_price_fen")) for p in api["plans"]] == \
        [("one_off", 50_000, None), ("metered", None, 250)]
    assert "区县统计 &lt;b&gt;新&lt;/b&gt;" in text(merchant.get(path))
    assert merchant.post(path + "/submit", page=path).status_code == 303
    assert world.ok("GET", f"/listings/{listing_id}", world["merchant"])["state"] == "submitted"
    assert merchant.post(path + "/publish", page=path).status_code == 409  # not approved yet
    world.ok("POST", f"/listings/{listing_id}/approve", world["operator"])
    assert 'id="publish"' in text(merchant.get(path))
    assert merchant.post(path + "/publish", page=path).status_code == 303
    assert world.ok("GET", f"/listings/{listing_id}", world["merchant"])["state"] == "listed"
    rejected = merchant.post("/merchant/listings", {
        "element_id": element_id, "domain": "交通", "license_template": "research-only",
        "modes": ["sandbox"], "plan-0-kind": "free"}, page=form).headers["Location"]
    merchant.post(rejected + "/submit", page=rejected)
    world.ok("POST", f"/listings/{rejected.rsplit('/', 1)[1]}/reject", world["operator"],
             json={"reason": "价格说明不清"})
    listings = text(merchant.get("/merchant/listings"))
    assert "价格说明不清" in listings and 'data-state="rejected"' in listings
    assert 'data-state="listed"' in listings
    rival = console_for(app, world["rival"].email)
    assert rival.get(path).status_code == 403  # listed: readable, but not the rival's
    assert rival.post(path + "/delist", {"reason": "x"}, page="/merchant/listings") \
        .status_code == 403
    assert merchant.post(path + "/delist", {"reason": " "}, page=path).status_code == 422
    assert merchant.post(path + "/delist", {"reason": "数据停止更新"}, page=path) \
        .status_code == 303
    assert world.ok("GET", f"/listings/{listing_id}", world["merchant"])["state"] == "delisted"
    assert "数据停止更新" in text(merchant.get(path))


def test_statement_shows_the_paid_order_by_month(app: Any, world: World,
                                                 merchant: Console) -> None:
    from tests.api.payment_world import paid_order

    paid_order(world, 50_000)
    api = world.ok("GET", "/revenue/statements", world["merchant"])
    assert api["sales"] == 1 and api["sales_gross_fen"] == 50_000
    html = text(merchant.get("/merchant/revenue"))
    share = "¥{:,}.{:02d}".format(*divmod(api["merchant_share_fen"], 100))
    assert '<dd id="gross">¥500.00</dd>' in html
    assert f'<dd id="merchant-share">{share}</dd>' in html
    month = datetime.now(UTC).strftime("%Y-%m")
    row = re.search(rf'<tr id="month-{month}">(.*?)</tr>', html, re.S)
    assert row and "¥500.00" in row.group(1) and share in row.group(1)
    assert "<svg" in html
    assert merchant.get("/merchant/revenue?from=2025-02-01&to=2025-01-01").status_code == 422
    buyer = console_for(app, world["buyer"].email)
    assert buyer.get("/merchant/revenue").status_code == 403


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=0, max_value=800))
def test_months_partition_the_period(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    parts = months(start, end)
    assert parts[0][0] == start and parts[-1][1] == end
    for (a, b), (c, _d) in pairwise(parts):
        assert c == b + timedelta(days=1) and a.month == b.month
    assert all(a <= b and a.year == b.year and a.month == b.month for a, b in parts)


@given(st.integers(min_value=0, max_value=10**12))
def test_yuan_text_round_trips_to_fen(fen: int) -> None:
    whole, part = divmod(fen, 100)
    assert parse_fen(f"{whole:,}.{part:02d}", "p") == fen
    assert parse_fen(f"¥{whole}.{part:02d}", "p") == fen


@pytest.mark.parametrize("bad", ["-1", "1.001", "abc", "NaN", "Infinity", "1..2"])
def test_bad_yuan_text_is_a_field_error(app: Any, bad: str) -> None:
    with app.test_request_context(), pytest.raises(ValidationFailed) as caught:
        parse_fen(bad, "plans.0.price_fen")
    assert list(caught.value.errors) == ["plans.0.price_fen"]


def test_nested_marshmallow_errors_become_dotted_paths() -> None:
    assert flatten({"plans": {0: {"price_fen": ["bad"]}}, "domain": ["x"]}) == \
        {"plans.0.price_fen": ["bad"], "domain": ["x"]}
