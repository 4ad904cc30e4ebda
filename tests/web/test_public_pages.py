"""Public console pages (issue 8 §1): the catalog (search, facets, pages) and the element page,
authorised like the API — an element not in the catalog is 404 for outsiders, anonymous
visitors see only a listed element's public facts — and a merchant's ``<script>`` title is
rendered inert (issue 8 acceptance, XSS)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.web.filters import money
from tests.api import listing_world
from tests.api.valuation_world import COST, INCOME
from tests.api.valuation_world import value as valuate
from tests.api.world import World, build_world
from tests.web.console import console_for
from tests.web.public_world import PLANS, listed_element, new_version

XSS = "<script>alert(1)</script>"
HIT = re.compile(r'id="hit-(lst_\w+)"')
NEXT = re.compile(r'id="catalog-next" rel="next" href="([^"]+)"')


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return str(response.get_data(as_text=True))


def test_search_finds_a_listing_by_a_chinese_term(world: World) -> None:
    districts = listed_element(world)
    credit = listed_element(world, title="企业信用评价", domain="企业",
                            description="德阳市企业信用")
    page = html(console_for(world.app, lang="zh").get("/catalog", query_string={"q": "信用"}))
    assert HIT.findall(page) == [credit["listing_id"]]
    assert "共找到 1 个挂牌" in page and "企业信用评价" in page
    assert f'href="/elements/{credit["element_id"]}"' in page
    assert districts["listing_id"] not in page
    anyone = html(console_for(world.app).get("/catalog?q=统计"))
    assert HIT.findall(anyone) == [districts["listing_id"]]
    assert 'value="统计"' in anyone  # the search box keeps the query


def test_facets_filter_and_count_like_the_api(world: World) -> None:
    districts = listed_element(world)
    credit = listed_element(world, title="企业信用评价", domain="企业")
    console = console_for(world.app)
    everything = html(console.get("/catalog"))
    assert set(HIT.findall(everything)) == {districts["listing_id"], credit["listing_id"]}
    assert "2 listings found" in everything
    filtered = html(console.get("/catalog", query_string={"domain": "企业"}))
    assert HIT.findall(filtered) == [credit["listing_id"]]
    api = world.ok("GET", "/catalog?domain=企业")
    counts = {f["value"]: f["count"] for f in api["facets"]["domain"]}
    for value, count in counts.items():  # disjunctive counts: the other domain still shows
        assert re.search(rf'value="{value}"( checked)?>\s*<label[^>]*>{value} '
                         rf'<span class="count">\({count}\)</span>', filtered)
    assert re.search(r'name="domain" value="企业" checked', filtered)
    assert not re.search(r'name="domain" value="交通" checked', filtered)
    both = html(console.get("/catalog?domain=企业&domain=交通&price_band=over_10000"))
    assert HIT.findall(both) == []  # AND across facets: neither is that dear
    assert "No listing matches" in both


@pytest.fixture
def five_listings(world: World) -> tuple[World, set[str]]:
    ids = listed_element(world)
    found = {ids["listing_id"]}
    for price in (1_000, 20_000, 300_000, 4_000_000):
        found.add(listing_world.listed(world, ids["element_id"], plans=[
            {"kind": "one_off", "price_fen": price}])["id"])
    return world, found


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(1, 6), sort=st.sampled_from(["newest", "price_asc", "price_desc",
                                                       "quality", "popularity"]))
def test_next_page_links_visit_every_listing_once(five_listings: tuple[World, set[str]],
                                                  limit: int, sort: str) -> None:
    world, expected = five_listings
    console = console_for(world.app)
    seen: list[str] = []
    path: str | None = f"/catalog?sort={sort}&limit={limit}"
    pages = 0
    while path:
        page = html(console.get(path.replace("&amp;", "&")))
        assert "5 listings found" in page
        seen += HIT.findall(page)
        assert ('id="catalog-first"' in page) == (pages > 0)
        found = NEXT.search(page)
        path = found.group(1) if found else None
        pages += 1
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert pages == -(-len(expected) // limit)


def test_bad_search_input_is_shown_on_the_form(world: World) -> None:
    console = console_for(world.app, lang="zh")
    page = html(console.get("/catalog?q=!!!"), 422)
    assert "搜索内容没有字母、数字或汉字。" in page and 'aria-invalid="true"' in page
    assert "不同取值" not in page
    assert "翻页游标与本次搜索不符" in html(console.get("/catalog?cursor=bogus"), 422)
    html(console.get("/catalog?price_band=priceless"), 422)


def test_an_element_not_in_the_catalog_is_404_for_outsiders(world: World) -> None:
    ids = listing_world.build_element(world)
    listing_world.draft(world, ids["element_id"])
    path = f"/elements/{ids['element_id']}"
    for name in ("anonymous", "rival", "buyer", "outsider", "assessor"):
        console = console_for(world.app, None if name == "anonymous" else world[name].email)
        html(console.get(path), 404)
        if name != "anonymous":  # exactly like the API's element.read
            assert world.call("GET", path, world[name]).status_code == 404
    for name in ("merchant", "member", "operator", "auditor"):
        page = html(console_for(world.app, world[name].email).get(path))
        assert "Not listed: only your organisation" in page and "This element is not for sale" \
            in page
    html(console_for(world.app).get("/elements/elm_doesnotexist00"), 404)
    html(console_for(world.app).get("/elements/" + "x" * 500), 404)


def test_a_delisted_element_leaves_the_public_page(world: World) -> None:
    ids = listed_element(world)
    path = f"/elements/{ids['element_id']}"
    html(console_for(world.app).get(path))
    listing_world.advance(world, ids["listing_id"], "delist")
    html(console_for(world.app).get(path), 404)
    html(console_for(world.app, world["buyer"].email).get(path), 404)


def test_anonymous_visitors_see_only_the_public_facts(world: World) -> None:
    ids = listed_element(world, columns={"区县": "行政区划名称"})
    path = f"/elements/{ids['element_id']}"
    page = html(console_for(world.app).get(path))
    for shown in ("区县统计", "District counts", "行政区划名称", "BIGINT", 'id="quality-score"',
                  "<svg class=\"chart\"", "Completeness", "¥120.00 a month",
                  "¥0.05 per sandbox query", "100 uses included",
                  f'href="/ledger/entries/{ids["ledger_index"]}"',
                  f'href="/api/v1/ledger/receipts/{ids["ledger_index"]}"',
                  "Sign in to see sample rows", "Sign in as a buyer to order"):
        assert shown in page, shown
    assert "旌阳区" not in page  # a sample value: the API's sample needs sign-in
    assert 'id="element-spec"' not in page and 'id="element-sample"' not in page
    buyer = html(console_for(world.app, world["buyer"].email).get(path))
    assert "旌阳区" in buyer and 'id="element-spec"' in buyer
    sample = world.ok("GET", f"{path}/sample", world["buyer"])
    assert all(str(v) in buyer for row in sample["rows"] for v in row.values())


def test_order_links_go_to_the_buyer_order_form(world: World) -> None:
    ids = listed_element(world)
    path = f"/elements/{ids['element_id']}"
    order = f'/buyer/orders/new?listing={ids["listing_id"]}'
    buyer = html(console_for(world.app, world["buyer"].email).get(path))
    assert f'id="order-{ids["listing_id"]}" href="{order}"' in buyer
    anonymous = html(console_for(world.app).get(path))
    assert "/login?next=/buyer/orders/new?listing%3D" + ids["listing_id"] in anonymous
    rival = html(console_for(world.app, world["rival"].email).get(path))
    assert order not in rival and "Only members of an approved buyer organisation" in rival


def test_valuation_detail_follows_the_valuation_rule(world: World) -> None:
    ids = listed_element(world)
    path = f"/elements/{ids['element_id']}"
    valuation = world.ok("POST", f"{path}/valuations", world["assessor"], status=201,
                         json={"methods": COST})
    value = money(valuation["value_fen"])
    entry = f'href="/ledger/entries/{valuation["ledger_index"]}"'
    for name in ("merchant", "operator", "assessor"):
        page = html(console_for(world.app, world[name].email).get(path))
        assert 'id="element-valuations"' in page and value in page and entry in page, name
    for name in ("buyer", "rival"):
        page = html(console_for(world.app, world[name].email).get(path))
        assert 'id="element-valuations"' not in page and value not in page and entry not in page
        assert money(valuation["low_fen"]) in page  # the public range only
        assert world.call("GET", f"{path}/valuations", world[name]).status_code == 404
    assert "Individual valuations are shown to" in html(console_for(world.app).get(path))


def test_everyone_sees_the_aggregate_valuation_range_of_a_listed_element(world: World) -> None:
    ids = listed_element(world)
    path = f"/elements/{ids['element_id']}"
    anonymous = console_for(world.app)
    assert "No valuation has been recorded yet." in html(anonymous.get(path))
    cost = valuate(world, ids["element_id"], {"methods": COST})
    income = valuate(world, ids["element_id"], {"methods": INCOME})
    low, high = min(cost["low_fen"], income["low_fen"]), max(cost["high_fen"], income["high_fen"])
    page = html(anonymous.get(path))
    assert f'id="valuation-range"><strong>{money(low)} – {money(high)}</strong>' in page
    assert 'id="valuation-count">2<' in page and "Cost approach, Income approach" in page
    assert cost["valuation_date"] in page
    agency = world.ok("GET", f"/organizations/{world['assessor'].org_id}", world["assessor"])
    hidden = [agency["name"], world["assessor"].org_id, cost["id"], income["id"],
              cost["record_sha256"], money(cost["value_fen"]), money(income["value_fen"]),
              f'/ledger/entries/{cost["ledger_index"]}', "profit_rate", "risk_free_rate",
              money(300_000), money(1_000_000)]  # the names, records and inputs
    for secret in hidden:
        assert secret not in page, secret
    zh = html(console_for(world.app, lang="zh").get(path))
    assert "估值次数" in zh and "成本法" in zh and money(low) in zh
    rival = html(console_for(world.app, world["rival"].email).get(path))
    assert money(high) in rival and agency["name"] not in rival


def test_an_unlisted_elements_valuations_stay_private(world: World) -> None:
    ids = listing_world.build_element(world)
    listing_world.draft(world, ids["element_id"])
    found = valuate(world, ids["element_id"], {"methods": COST})
    path = f"/elements/{ids['element_id']}"
    html(console_for(world.app).get(path), 404)
    html(console_for(world.app, world["buyer"].email).get(path), 404)
    owner = html(console_for(world.app, world["merchant"].email).get(path))
    assert 'id="valuation-range"' not in owner  # nothing public: only the detail it may read
    assert 'id="element-valuations"' in owner and money(found["low_fen"]) in owner


def test_anonymous_visitors_see_listed_versions_only(world: World) -> None:
    ids = listed_element(world)
    assert new_version(world, ids["element_id"], "第二版说明") == 2
    path = f"/elements/{ids['element_id']}"
    anonymous = console_for(world.app)
    page = html(anonymous.get(path))
    assert "Version 1" in page and "第二版说明" not in page
    assert 'id="element-version"' not in page  # one version to choose from
    html(anonymous.get(path + "?version=2"), 404)
    member = html(console_for(world.app, world["member"].email).get(path + "?version=2"))
    assert '<option value="2" selected>' in member
    buyer = console_for(world.app, world["buyer"].email)  # like the API: every version
    assert world.call("GET", f"{path}/sample?version=2", world["buyer"]).status_code == 200
    html(buyer.get(path + "?version=2"))
    html(buyer.get(path + "?version=9"), 404)
    html(buyer.get(path + "?version=abc"), 422)


def test_a_script_title_is_rendered_inert(world: World) -> None:
    ids = listed_element(world, title=XSS, description=XSS, columns={"区县": XSS})
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    console = console_for(world.app)
    for path in (f"/elements/{ids['element_id']}", "/catalog?q=alert", "/"):
        page = html(console.get(path))
        assert "<script>alert(1)" not in page, path
        assert escaped in page, path
    assert HIT.findall(html(console.get("/catalog?q=alert"))) == [ids["listing_id"]]


def test_home_page_lists_the_newest_listings(world: World) -> None:
    assert 'id="latest-listings"' not in html(console_for(world.app).get("/"))
    ids = listed_element(world, plans=PLANS[:1])
    page = html(console_for(world.app, lang="zh").get("/"))
    assert "最新上架的数据元件" in page and f'href="/elements/{ids["element_id"]}"' in page


def test_the_service_gives_anonymous_visitors_public_facts_only(world: World) -> None:
    from marketplace.accounts.common import principal_for
    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.errors import NotFound
    from marketplace.listings.element_page import element_page

    public = listed_element(world)
    hidden = listing_world.build_element(world)["element_id"]
    with world.app.app_context():
        shown = element_page(None, public["element_id"])
        assert (shown.full, shown.sample, shown.valuations, shown.versions,
                shown.valuation_range) == (False, None, None, (1,), None)
        assert [lst.id for lst in shown.listings] == [public["listing_id"]]
        (source,) = shown.inputs
        with pytest.raises(NotFound):
            element_page(None, hidden)
        member = principal_for(db.session.get(User, world["member"].user_id))
        mine = element_page(member, hidden)
        assert mine.full and mine.sample and not mine.listed and mine.valuations == ()
        with pytest.raises(NotFound):
            element_page(principal_for(db.session.get(User, world["rival"].user_id)), hidden)
    entry = world.ok("GET", f"/ledger/entries/{source.ledger_index}")["fields"]
    assert entry["subject"] == source.version_id  # the input's own ledger entry
