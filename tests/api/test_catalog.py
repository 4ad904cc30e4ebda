"""The catalog (issue 5 §3): Chinese and English queries find the right listings and no others,
ranked by the field they match; facet counts equal a hand count (disjunctive semantics);
cursor paging visits every result exactly once under every sort; drafts and delisted listings
never show; popularity moves only through record_order/record_usage; and, for random listing
sets, search and facets equal a brute-force filter computed here in Python."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.listing_world import advance, build_element, draft, listed
from tests.api.world import World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


@pytest.fixture
def shop(world: World) -> dict[str, Any]:
    """Two merchants, three elements, four listed listings, a draft and a delisted one."""
    parking = build_element(world, title="智慧停车", classification="general",
                            description="德阳市停车场每15分钟泊位占用",
                            columns={"区县": "所属区县", "数量": "空闲泊位数"})["element_id"]
    registry = build_element(world, title="企业登记", classification="important",
                             description="德阳市市场主体登记信息")["element_id"]
    hotline = build_element(world, "rival", title="12345热线工单", classification="core",
                            description="德阳市12345政务服务便民热线工单")["element_id"]
    ids = {
        "parking": listed(world, parking, title="德阳智慧停车泊位", domain="交通",
                          summary="Real-time parking occupancy of city car parks")["id"],
        "credit": listed(world, registry, title="企业信用评价", domain="企业",
                         summary="Enterprise credit ratings from the registry",
                         plans=[{"kind": "subscription", "price_fen": 1_200_000,
                                 "period": "annual"}])["id"],
        "hotline": listed(world, hotline, "rival", title="12345政务热线工单", domain="政务热线",
                          summary="Citizen tickets, desensitised", delivery_modes=["sandbox"],
                          plans=[{"kind": "metered", "unit": "sandbox_query",
                                  "unit_price_fen": 20}])["id"],
        "utility": listed(world, hotline, "rival", title="公用事业诉求统计", domain="公用事业",
                          summary="Monthly utility complaint counts",
                          delivery_modes=["records_api"], plans=[{"kind": "free"}])["id"],
    }
    draft(world, parking, title="停车草稿")
    old = listed(world, parking, title="停车场旧数据")["id"]
    advance(world, old, "delist")
    return {"ids": ids, "elements": {"parking": parking, "registry": registry,
                                     "hotline": hotline}}


def _search(world: World, **args: Any) -> Any:
    return world.ok("GET", "/catalog?" + urlencode(args, doseq=True))


def _quality_band(score: float | None) -> str:
    if score is None:
        return "unscored"
    return ("under_60" if score < 60 else "60_to_80" if score < 80
            else "80_to_90" if score < 90 else "90_to_100")


def _names(shop: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    by_id = {v: k for k, v in shop["ids"].items()}
    return [by_id[i["listing_id"]] for i in items]


QUERIES = [  # (query, expected listings in rank order)
    ("停车", ["parking"]), ("企业信用", ["credit"]), ("热线", ["hotline", "utility"]),
    ("车", ["parking"]), ("parking", ["parking"]), ("PARKING  Occupancy", ["parking"]),
    ("ｐａｒｋｉｎｇ", ["parking"]), ("credit", ["credit"]), ("12345", ["hotline", "utility"]),
    ("竞争者", ["utility", "hotline"]), ("德阳", ["parking", "credit", "utility", "hotline"]),
    ("停车 credit", []), ("信用企业", []), ("park", []), ("泊位数", ["parking"]),
]


def test_queries_find_exactly_the_right_listings(world: World, shop: dict[str, Any]) -> None:
    """Title matches outrank merchant-name matches, which outrank body text; ties go to the
    newest. 热线 is in the hotline listing's title and only in the utility listing's element
    description; 德阳 is in one title, one merchant name and two element descriptions.
    Searching is read-only, so every query runs against one shop."""
    for q, expected in QUERIES:
        result = _search(world, q=q)
        assert _names(shop, result["items"]) == expected, f"q={q!r}"
        assert result["total"] == len(expected), f"q={q!r}"


def test_facet_counts_match_a_hand_count(world: World, shop: dict[str, Any]) -> None:
    scores = {name: world.ok("GET", f"/elements/{eid}", world["merchant" if name != "hotline"
                                                                else "rival"])["latest"]
              ["quality_score"] for name, eid in shop["elements"].items()}
    everything = _search(world)
    facets = {name: {f["value"]: f["count"] for f in values}
              for name, values in everything["facets"].items()}
    assert everything["total"] == 4
    assert facets["domain"] == {"交通": 1, "企业": 1, "政务热线": 1, "公用事业": 1}
    assert facets["merchant_kind"] == {"data_developer": 2, "resource_provider": 2,
                                       "data_broker": 0, "compliance_consultant": 0}
    assert facets["delivery_mode"] == {"records_api": 3, "sandbox": 3}
    assert facets["price_band"] == {"free": 1, "under_100": 1, "100_to_1000": 1,
                                    "1000_to_10000": 0, "over_10000": 1}
    assert facets["classification"] == {"general": 1, "important": 1, "core": 2}
    bands = Counter(_quality_band(scores[e]) for e in ("parking", "registry", "hotline",
                                                         "hotline"))
    assert facets["quality_band"] == {b: bands.get(b, 0) for b in (
        "unscored", "under_60", "60_to_80", "80_to_90", "90_to_100")}

    narrowed = _search(world, merchant_kind="resource_provider", delivery_mode="sandbox")
    assert _names(shop, narrowed["items"]) == ["hotline"] and narrowed["total"] == 1
    counts = {name: {f["value"]: f["count"] for f in values}
              for name, values in narrowed["facets"].items()}
    # Disjunctive: each filtered facet is counted with the *other* filters only.
    assert counts["merchant_kind"]["data_developer"] == 2  # sandbox listings of merchant A
    assert counts["merchant_kind"]["resource_provider"] == 1
    assert counts["delivery_mode"] == {"records_api": 1, "sandbox": 1}  # B's listings
    assert counts["domain"] == {"政务热线": 1}
    both = _search(world, domain=["交通", "企业"], q="德阳")
    assert sorted(_names(shop, both["items"])) == ["credit", "parking"]
    assert {f["value"]: f["count"] for f in both["facets"]["domain"]} == {
        "交通": 1, "企业": 1, "政务热线": 1, "公用事业": 1}
    assert _search(world, domain="水务")["facets"]["domain"][-1] == {"value": "水务",
                                                                  "count": 0}


SORTS = ["relevance", "newest", "price_asc", "price_desc", "quality", "popularity"]


def test_paging_visits_every_result_exactly_once(world: World, shop: dict[str, Any]) -> None:
    """Paging is read-only, so every sort pages through one shop."""
    for sort in SORTS:
        whole = _search(world, q="德阳", sort=sort, limit=100)["items"]
        seen, cursor = [], None
        while True:
            args = {"q": "德阳", "sort": sort, "limit": 1,
                    **({"cursor": cursor} if cursor else {})}
            page = _search(world, **args)
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [i["listing_id"] for i in seen] == [i["listing_id"] for i in whole], sort
        assert len(seen) == len({i["listing_id"] for i in seen}) == 4, sort
        prices = [i["price_from_fen"] for i in whole]
        if sort == "price_asc":
            assert prices == sorted(prices), sort
        if sort == "price_desc":
            assert prices == sorted(prices, reverse=True), sort
        if sort == "newest":
            assert _names(shop, whole) == ["utility", "hotline", "credit", "parking"], sort


def test_bad_catalog_arguments_are_422(world: World, shop: dict[str, Any]) -> None:
    page = _search(world, limit=1, sort="price_asc")
    for query in ("sort=cheapest", "limit=0", "limit=101", "q=%21%3F", "price_band=cheap",
                  "merchant_kind=buyer", "colour=red", "q=a&q=b", "cursor=%%%",
                  f"cursor={page['next_cursor']}&sort=newest", "cursor=WzFd"):
        response = world.call("GET", f"/catalog?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
    bad_token = world.call("GET", "/catalog", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


def test_popularity_comes_only_from_orders_and_usage(world: World,
                                                     shop: dict[str, Any]) -> None:
    from marketplace.db import db
    from marketplace.errors import NotFound
    from marketplace.listings.stats import record_order, record_usage

    ids = shop["ids"]
    for _ in range(3):  # browsing, reading and searching are not popularity
        _search(world, q="德阳")
        world.ok("GET", f"/listings/{ids['parking']}", world["buyer"])
    assert {i["listing_id"]: i["popularity"] for i in _search(world)["items"]} == {
        i: {"orders": 0, "usage": 0} for i in ids.values()}
    with world.app.app_context():
        record_order(ids["hotline"])
        record_order(ids["hotline"])
        record_usage(ids["credit"], 7)
        record_order(ids["utility"])
        record_usage(ids["utility"], 1)
        db.session.commit()
        with pytest.raises(ValueError):
            record_usage(ids["credit"], 0)
        with pytest.raises(NotFound):
            record_order("lst_aaaaaaaaaaaaaaaa")
    items = _search(world, sort="popularity")["items"]
    assert _names(shop, items) == ["hotline", "utility", "credit", "parking"]
    assert items[0]["popularity"] == {"orders": 2, "usage": 0}
    assert items[2]["popularity"] == {"orders": 0, "usage": 7}


def test_delisting_removes_a_listing_at_once(world: World, shop: dict[str, Any]) -> None:
    world.ok("POST", f"/listings/{shop['ids']['parking']}/delist", world["operator"],
             json={"reason": "数据源停止更新"})
    assert _search(world, q="停车")["items"] == []
    assert _search(world)["total"] == 3
    assert {f["value"]: f["count"] for f in _search(world)["facets"]["domain"]}.get("交通") is None


# ----------------------------------------------------------------------------- invariant

WEIGHTS = {"title": 8, "domain": 4, "merchant": 2, "body": 1}  # as documented in openapi.yaml
CHARS = "停车企业信用热线数据交"
FRAGMENT = st.one_of(st.sampled_from(["parking", "Credit", "DATA", "hotline", "12345"]),
                     st.text(alphabet=CHARS, min_size=1, max_size=4))
TEXT = st.lists(FRAGMENT, min_size=1, max_size=4).flatmap(
    lambda parts: st.sampled_from([" ", "", "，"]).map(lambda sep: sep.join(parts)))
LISTING = st.fixed_dictionaries({
    "title": TEXT, "summary": TEXT, "domain": st.sampled_from(["交通", "企业", "热线"]),
    "delivery_modes": st.sampled_from([["records_api"], ["sandbox"],
                                       ["records_api", "sandbox"]]),
    "price": st.integers(0, 2_000_000)})


def _terms(query: str) -> list[tuple[bool, str]]:
    """(is_word, term) of a query, written independently of marketplace.listings.text."""
    out: list[tuple[bool, str]] = []
    for run in re.findall(r"[\u4e00-\u9fff]+|[a-z0-9]+", unicodedata.normalize(
            "NFKC", query).casefold()):
        if not "\u4e00" <= run[0] <= "\u9fff":
            out.append((True, run))
        elif len(run) == 1:
            out.append((False, run))
        else:
            out += [(False, run[i:i + 2]) for i in range(len(run) - 1)]
    return list(dict.fromkeys(out))


def _holds(text: str, term: tuple[bool, str]) -> bool:
    text = unicodedata.normalize("NFKC", text).casefold()
    word, value = term
    return bool(re.search(rf"(?<![a-z0-9]){value}(?![a-z0-9])", text)) if word \
        else value in text


def _rank(fields: list[tuple[str, str]], terms: list[tuple[bool, str]]) -> int | None:
    """Brute force: None unless every term is in some field, else the summed best weights."""
    total = 0
    for term in terms:
        weights = [WEIGHTS[f] for f, text in fields if _holds(text, term)]
        if not weights:
            return None
        total += max(weights)
    return total


def _queries(listings: list[dict[str, Any]]) -> st.SearchStrategy[str]:
    """Random fragments, or (mostly) a piece of some listing's text so that queries hit."""
    texts = [t for item in listings for t in (item["title"], item["summary"])]
    piece = st.tuples(st.sampled_from(texts), st.integers(0, 12), st.integers(1, 6)).map(
        lambda x: x[0][x[1]:x[1] + x[2]]).filter(lambda q: bool(_terms(q)))
    random = st.lists(FRAGMENT, min_size=1, max_size=2).map(" ".join)
    return st.one_of(piece, piece, random)


def test_search_and_facets_equal_a_brute_force_filter(app_factory: Any) -> None:
    from sqlalchemy import select

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.listings import services

    world = build_world(app_factory())
    eid = build_element(world)["element_id"]  # "District counts"; columns 区县, 类别, 数量
    body = ["District counts", "区县 ", "类别 ", "数量 "]
    merchant_name = "德阳数据开发公司 A"

    def principal(email: str) -> Any:
        return accounts._principal_for(db.session.scalar(select(User).where(
            User.email == email)))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(listings=st.lists(LISTING, min_size=1, max_size=5), data=st.data(),
           domains=st.just(set()) | st.sets(st.sampled_from(["交通", "企业", "热线"]),
                                            min_size=1, max_size=2),
           modes=st.just(set()) | st.sets(st.sampled_from(["records_api", "sandbox"]),
                                          min_size=1, max_size=1))
    def check(listings: list[dict[str, Any]], data: st.DataObject, domains: set[str],
              modes: set[str]) -> None:
        query = data.draw(_queries(listings), label="query")
        created = {}
        with world.app.app_context():
            merchant, operator = principal("merchant@example.org"), principal(
                world["operator"].email)
            for item in listings:
                row = services.create_from_document(merchant, {
                    "element_id": eid, "title": item["title"], "summary": item["summary"],
                    "domain": item["domain"], "delivery_modes": item["delivery_modes"],
                    "license_template": "internal-analytics",
                    "plans": [{"kind": "one_off", "price_fen": item["price"]}]})
                for step in (services.submit, services.approve, services.publish):
                    step(operator if step is services.approve else merchant, row.id)
                created[row.id] = item
        args = {"q": query, "limit": 100, "domain": sorted(domains),
                "delivery_mode": sorted(modes)}
        result = _search(world, **args)

        terms = _terms(query)
        ranks = {}
        for lid, item in created.items():
            fields = [("title", item["title"]), ("domain", item["domain"]),
                      ("merchant", merchant_name), ("body", item["summary"]),
                      *(("body", text) for text in body)]
            rank = _rank(fields, terms)
            if rank is not None:
                ranks[lid] = rank
        in_domain = {lid for lid in ranks if not domains or created[lid]["domain"] in domains}
        in_mode = {lid for lid in ranks if not modes
                   or set(created[lid]["delivery_modes"]) & modes}
        expected = in_domain & in_mode
        assert {i["listing_id"]: i["relevance"] for i in result["items"]} == {
            lid: ranks[lid] for lid in expected}
        assert [i["relevance"] for i in result["items"]] == sorted(
            (ranks[lid] for lid in expected), reverse=True)
        assert result["total"] == len(expected)
        domain_counts = Counter(created[lid]["domain"] for lid in in_mode)
        domain_facet = result["facets"]["domain"]
        assert {f["value"]: f["count"] for f in domain_facet if f["count"]} == dict(domain_counts)
        mode_counts = Counter(m for lid in in_domain for m in created[lid]["delivery_modes"])
        assert {f["value"]: f["count"] for f in result["facets"]["delivery_mode"]} == {
            m: mode_counts.get(m, 0) for m in ("records_api", "sandbox")}

        with world.app.app_context():
            merchant = principal("merchant@example.org")
            for lid in created:
                services.delist(merchant, lid, "next example")

    check()


def test_counts_follow_every_publish_and_delist(world: World, shop: dict[str, Any]) -> None:
    """Whole-catalog counts (no query, or a term every listing holds) are cached per process;
    each publish and delist must show at once."""
    def domains(**args: Any) -> dict[str, int]:
        result = _search(world, **args)
        return {f["value"]: f["count"] for f in result["facets"]["domain"]} | {
            "total": result["total"]}

    before = domains()
    assert before == domains(q="德阳") == {"交通": 1, "企业": 1, "政务热线": 1, "公用事业": 1,
                                           "total": 4}
    extra = listed(world, shop["elements"]["parking"], domain="交通")["id"]
    assert domains() == domains(q="德阳") == {**before, "交通": 2, "total": 5}
    world.ok("POST", f"/listings/{extra}/delist", world["merchant"], json={"reason": "重复"})
    world.ok("POST", f"/listings/{shop['ids']['credit']}/delist", world["merchant"],
             json={"reason": "停止"})
    after = {k: v for k, v in before.items() if k != "企业"} | {"total": 3}
    assert domains() == domains(q="德阳") == after


def test_the_cache_sees_a_late_commit_that_keeps_the_highest_id_and_the_count(
        world: World, shop: dict[str, Any]) -> None:
    """On PostgreSQL a publish takes its entry id before it commits, so it can commit after a
    later id: a late publish committed with a delist leaves (highest id, count) as they were.
    Simulated here by holding one entry back and writing it in later, with a delist, in one
    transaction: the whole-catalog counts must still change."""
    from sqlalchemy import delete, insert, select

    from marketplace.db import db
    from marketplace.listings import index
    from marketplace.listings.catalog_models import CatalogEntry, CatalogTerm

    def domains() -> dict[str, int]:
        result = _search(world)
        return {f["value"]: f["count"] for f in result["facets"]["domain"]}

    late = listed(world, shop["elements"]["parking"], domain="交通")["id"]
    listed(world, shop["elements"]["parking"], domain="交通")  # a higher id, committed first
    with world.app.app_context():
        entry = db.session.scalars(select(CatalogEntry).where(
            CatalogEntry.listing_id == late)).one()
        row = {c.key: getattr(entry, c.key) for c in CatalogEntry.__table__.columns}
        terms = [dict(t._mapping) for t in db.session.execute(select(
            CatalogTerm.term, CatalogTerm.weight, CatalogTerm.doc_id).where(
            CatalogTerm.doc_id == entry.doc_id))]
        db.session.execute(delete(CatalogTerm).where(CatalogTerm.doc_id == entry.doc_id))
        db.session.execute(delete(CatalogEntry).where(CatalogEntry.doc_id == entry.doc_id))
        db.session.commit()  # not yet visible: its transaction has not committed
    before = domains()
    assert before["交通"] == 2 and before["企业"] == 1
    with world.app.app_context():
        db.session.execute(insert(CatalogEntry), [row])  # the late commit, as index.add
        db.session.execute(insert(CatalogTerm), terms)
        index.bump_generation()
        index.remove(shop["ids"]["credit"])  # with a delist of the 企业 listing
        db.session.commit()
    after = domains()
    assert after["交通"] == 3 and "企业" not in after
