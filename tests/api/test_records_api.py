"""The records API (issue 7 §1): licensed columns only, a small typed filter grammar, stable
cursor pages, exact usage counting under concurrency (quota → 402), a per-key token bucket
(429 + Retry-After), revocation effective on the next call, and no trace of a refused call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from marketplace.access import recordsql
from marketplace.access.models import UsageRecord
from marketplace.db import db
from marketplace.listings.models import ListingStats
from marketplace.orders.models import Agreement
from tests.api.access_world import DISTRICTS, api_key, element, key_headers, license_for, set_policy
from tests.api.world import World, build_world

ROWS = 30


def make(app_factory: Any, backend: str = "sqlite", **config: Any) -> World:
    return build_world(app_factory(backend, **config))


def setup(world: World, **params: Any) -> tuple[str, str, str]:
    eid = element(world, ROWS)
    set_policy(world, eid, excluded_columns=["类别"])
    return eid, license_for(world, eid, **params), api_key(world)


def get(world: World, eid: str, key: str, query: str = "", **kw: Any) -> Any:
    return world.call("GET", f"/elements/{eid}/records?{query}", headers=key_headers(key, **kw))


def usage(world: World, lic: str) -> tuple[int, int, int]:
    """(count_used, usage rows, listing usage) of the license."""
    with world.app.app_context():
        agreement = db.session.get(Agreement, lic)
        rows = db.session.scalar(select(func.count()).select_from(UsageRecord)
                                 .where(UsageRecord.agreement_id == lic))
        stats = db.session.get(ListingStats, agreement.listing_id)
        return agreement.count_used, rows, stats.usage


def pages(world: World, eid: str, key: str, query: str, limit: int) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        body = get(world, eid, key, f"{query}&limit={limit}"
                   + (f"&cursor={cursor}" if cursor else "")).get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def expected(pred: Callable[[int], bool]) -> list[dict[str, Any]]:
    return [{"id": i, "区县": DISTRICTS[i % 3], "数量": i % 10}
            for i in range(1, ROWS + 1) if pred(i)]


def test_pages_filters_and_key_lookup_deliver_licensed_rows_and_count_each_call(
        app_factory: Any) -> None:
    world = make(app_factory)
    eid, lic, key = setup(world)
    assert pages(world, eid, key, "", 7) == expected(lambda i: True)  # 5 calls; no 类别
    district = quote(DISTRICTS[1])
    assert pages(world, eid, key, f"filter=区县:eq:{district}&filter=数量:gte:3", 100) == \
        expected(lambda i: i % 3 == 1 and i % 10 >= 3)
    assert pages(world, eid, key, "filter=数量:eq:1&filter=数量:eq:2&filter=数量:lt:2", 100) == \
        expected(lambda i: i % 10 == 1)
    body = get(world, eid, key, "key=5&key=17&key=999&fields=数量,id").get_json()
    assert body["items"] == [{"数量": 5, "id": 5}, {"数量": 7, "id": 17}]
    assert body["license_id"] == lic and body["fields"] == ["数量", "id"]
    assert usage(world, lic) == (8, 8, 8)


BAD_QUERIES = [
    "fields=类别", "fields=id,id", "fields=nope", "filter=类别:eq:交通", "filter=id:like:1",
    "filter=区县:gt:a", "filter=数量:eq:abc", "filter=id", "key=abc", "cursor=%21%21",
    "cursor=YWJj", "limit=0", "limit=1001", "bogus=1"]


def test_bad_arguments_are_422_and_count_nothing(app_factory: Any, backend: str) -> None:
    """One world for all cases: usage is checked after each one, so a case that counted
    anything fails by name (14 calls stay well inside the default token bucket of 40)."""
    world = make(app_factory, backend)
    eid, lic, key = setup(world)
    for query in BAD_QUERIES:
        response = get(world, eid, key, query)
        assert response.status_code == 422, (query, response.get_json())
        assert response.mimetype == "application/problem+json", query
        assert usage(world, lic) == (0, 0, 0), query


def test_who_may_call_and_revocation_on_the_next_call(app_factory: Any) -> None:
    world = make(app_factory)
    eid, lic, key = setup(world)
    person = world.call("GET", f"/elements/{eid}/records", world["buyer"],
                        headers={"X-Purpose": "internal_analytics"})
    assert person.status_code == 403
    assert get(world, eid, api_key(world, "rival_buyer")).status_code == 403  # no license
    assert get(world, "elm_aaaaaaaaaaaaaaaa", key).status_code == 404
    assert get(world, eid, key, purpose=None).status_code == 403
    wrong = get(world, eid, key, purpose="marketing")
    assert wrong.status_code == 403 and wrong.get_json()["reasons"]
    assert get(world, eid, key).status_code == 200
    world.ok("POST", f"/licenses/{lic}/revoke", world["operator"], json={"reason": "违约"})
    assert get(world, eid, key).status_code == 403
    assert usage(world, lic) == (1, 1, 1)


def test_no_lock_is_held_while_the_page_is_read_and_a_revocation_meanwhile_bites(
        app_factory: Any, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read transaction ends before DuckDB reads the page: the operator's revocation
    commits meanwhile (it would wait for SQLite's write lock otherwise), and the counting step
    decides again on the committed row, so the call is refused and nothing is counted."""
    world = make(app_factory, backend)
    eid, lic, key = setup(world)
    real, reading, go = recordsql.read_page, threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        reading.set()
        assert go.wait(30)
        return real(*args)

    monkeypatch.setattr(recordsql, "read_page", held)
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(get(world, eid, key)))
    thread.start()
    safety = threading.Timer(5, go.set)  # were a lock held, the revocation would wait for it
    try:
        assert reading.wait(30)
        safety.start()
        world.ok("POST", f"/licenses/{lic}/revoke", world["operator"], json={"reason": "违约"})
        assert not go.is_set(), "the revocation had to wait for the records call"
    finally:
        safety.cancel()
        go.set()
        thread.join(60)
    assert out[0].status_code == 403
    assert "revoked" in " ".join(out[0].get_json()["reasons"])
    assert usage(world, lic) == (0, 0, 0)


def test_a_call_reads_the_agreement_twice_at_most(app_factory: Any) -> None:
    """Once to choose the license, once locked to count the use (no wasted third read)."""
    world = make(app_factory)
    eid, _lic, key = setup(world)
    seen: list[str] = []
    with world.app.app_context():
        engine = db.engine

    def log(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", log)
    try:
        assert get(world, eid, key).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", log)
    reads = [s for s in seen if s.startswith("SELECT agreements.id, agreements.order_id")]
    assert len(reads) == 2, reads


def _storm(world: World, eid: str, key: str, n: int = 20) -> list[Any]:
    barrier, responses, lock = threading.Barrier(n, timeout=30), [], threading.Lock()

    def call() -> None:
        client = world.app.test_client()
        barrier.wait()
        response = client.get(f"/api/v1/elements/{eid}/records?limit=1",
                              headers=key_headers(key))
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return responses


def test_quota_holds_exactly_under_20_concurrent_clients(app_factory: Any, backend: str) -> None:
    world = make(app_factory, backend)
    eid, lic, key = setup(world, max_calls=7)
    statuses = sorted(r.status_code for r in _storm(world, eid, key))
    assert statuses == [200] * 7 + [402] * 13
    assert usage(world, lic) == (7, 7, 7)
    assert get(world, eid, key).status_code == 402


def test_rate_limit_holds_under_20_concurrent_clients(app_factory: Any, backend: str) -> None:
    world = make(app_factory, backend, RECORDS_RATE_BURST=4, RECORDS_RATE_PER_SECOND=0.01)
    eid, lic, key = setup(world)
    responses = _storm(world, eid, key)
    assert sorted(r.status_code for r in responses) == [200] * 4 + [429] * 16
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    assert usage(world, lic) == (4, 4, 4)
    other = api_key(world)  # buckets are per key
    assert get(world, eid, other).status_code == 200


def test_paging_never_loses_or_repeats_a_row(app_factory: Any) -> None:
    """For any page size and filter, the pages concatenate to exactly the matching rows in
    file order (hypothesis drives one world)."""
    world = make(app_factory, RECORDS_RATE_BURST=10_000)
    eid, _lic, key = setup(world)

    @settings(max_examples=25, deadline=None)
    @given(limit=st.integers(1, 12), low=st.integers(0, 9), district=st.sampled_from(DISTRICTS))
    def check(limit: int, low: int, district: str) -> None:
        query = f"filter=数量:gte:{low}&filter=区县:eq:{quote(district)}"
        assert pages(world, eid, key, query, limit) == expected(
            lambda i: i % 10 >= low and DISTRICTS[i % 3] == district)

    check()
