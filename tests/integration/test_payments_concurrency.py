"""50 parallel order + payment flows on PostgreSQL (issue 6 acceptance), 10 at a time, all
posting to the same merchant's payable, each followed by a duplicate webhook: the journal
balances, nothing is posted twice, every license is active and the reconciliation has no
exceptions. Skipped without ELX_TEST_DATABASE_URL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.revenue.models import JournalTransaction
from tests.api.order_world import fresh_key, order_body
from tests.api.payment_world import deliver, event, pending_order
from tests.api.world import build_world

FLOWS = 50


@pytest.mark.postgres
def test_fifty_parallel_flows(app_factory: Any) -> None:
    world = build_world(app_factory("postgresql", WORKER_THREADS=0))
    first = pending_order(world, 12_345)  # creates the listing the flows order from
    listing_id = first["listing_id"]
    body = order_body(world, listing_id, first["plan_id"])

    def flow(_i: int) -> tuple[int, int, int]:
        client = world.app.test_client()
        auth = world["buyer"].headers()
        placed = client.post("/api/v1/orders", json=body,
                             headers={**auth, "Idempotency-Key": fresh_key()})
        order_id = placed.get_json()["id"]
        paid = client.post(f"/api/v1/orders/{order_id}/pay", headers=auth,
                           json={"payment_method": "pm_card_visa"})
        intent = paid.get_json()["payment"]["reference"]
        duplicate = deliver(world, event("payment_intent.succeeded", {
            "id": intent, "amount": 12_345, "metadata": {"order_id": order_id}}))
        return placed.status_code, paid.status_code, duplicate.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(flow, range(FLOWS)))
    assert results == [(201, 200, 200)] * FLOWS
    with world.app.app_context():
        sales = db.session.scalar(select(func.count()).select_from(JournalTransaction))
        distinct = db.session.scalar(select(func.count(func.distinct(
            JournalTransaction.reference))))
        assert sales == distinct == FLOWS
    balance = world.ok("GET", "/revenue/trial-balance", world["auditor"])
    assert balance["balanced"] and balance["currencies"][0]["debits_fen"] == 12_345 * FLOWS
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert (report["provider_charges"], report["journal_sales"]) == (FLOWS, FLOWS)
    assert report["exceptions"] == []
    licenses = world.ok("GET", "/licenses?state=active&limit=200", world["buyer"])["items"]
    assert len(licenses) == FLOWS
