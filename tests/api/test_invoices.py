"""Metered plans invoiced per billing period from recorded usage (issue 6 §3), through the API
with the in-memory gateway: exact amounts for a known usage pattern across month boundaries,
re-runs that create nothing (API and CLI), concurrent runs, the PaymentIntent of a due invoice
settled by webhook or by ``payments sync`` into a sale split by the fee schedule in force at the
period's end, and who sees which invoices."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.access.models import UsageUnit
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.revenue import invoicing
from marketplace.revenue.billing_models import Invoice
from tests.api.billing_world import metered_license, run, use
from tests.api.payment_world import deliver, event
from tests.api.world import World, build_world

JAN, FEB, MAR = "2024-01", "2024-02", "2024-03"
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def invoices(world: World, period: str, actor: str = "auditor") -> dict[str, dict[str, Any]]:
    """agreement id → its invoice of ``period``."""
    items = world.ok("GET", f"/revenue/invoices?period={period}&limit=200", world[actor])
    return {i["agreement_id"]: i for i in items["items"]}


def rows(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invoice))


def usage_pattern(world: World) -> tuple[str, str]:
    """Plan: 5 fen per api_call, 100 included per month. ``busy`` uses 60 + 50 api calls in
    January (the last at the month's last microsecond) and 1 000 sandbox queries (another
    unit), 70 (at February's first instant) + 130 in February, nothing in March; ``quiet``
    uses 40 calls in January."""
    busy, quiet = metered_license(world), metered_license(world)
    use(world, busy, datetime(2024, 1, 15, 8, tzinfo=UTC), 50)
    use(world, busy, FEB_1 - TICK, 60)
    use(world, busy, datetime(2024, 1, 20, tzinfo=UTC), 1_000, UsageUnit.sandbox_query)
    use(world, busy, FEB_1, 70)
    use(world, busy, datetime(2024, 2, 29, 23, 59, tzinfo=UTC), 130)
    use(world, quiet, datetime(2024, 1, 2, tzinfo=UTC), 40)
    use(world, busy, datetime(2024, 4, 1, tzinfo=UTC), 999)  # April: not in any run below
    return busy, quiet


def test_exact_amounts_for_a_known_usage_pattern_across_month_boundaries(
        world: World) -> None:
    busy, quiet = usage_pattern(world)
    assert run(world, JAN).get_json() == {"period": JAN, "created": 2, "existing": 0,
                                          "due": 1, "zero": 1, "payments_opened": 1}
    jan = invoices(world, JAN)
    assert {k: jan[busy][k] for k in ("units_used", "included_quota", "billable_units",
                                      "unit_price_fen", "amount_fen", "status", "unit")} == {
        "units_used": 110, "included_quota": 100, "billable_units": 10, "unit_price_fen": 5,
        "amount_fen": 50, "status": "due", "unit": "api_call"}
    assert jan[busy]["period_start"].startswith("2024-01-01T00:00:00")
    assert jan[busy]["period_end"].startswith("2024-02-01T00:00:00")
    assert jan[busy]["payment_intent_id"]
    assert (jan[quiet]["units_used"], jan[quiet]["amount_fen"], jan[quiet]["status"],
            jan[quiet]["payment_intent_id"]) == (40, 0, "zero", None)
    run(world, FEB)
    feb = invoices(world, FEB)
    assert (feb[busy]["units_used"], feb[busy]["billable_units"], feb[busy]["amount_fen"]) == (
        200, 100, 500)
    assert (feb[quiet]["units_used"], feb[quiet]["status"]) == (0, "zero")
    run(world, MAR)
    mar = invoices(world, MAR)
    assert {i["amount_fen"] for i in mar.values()} == {0} and set(mar) == {busy, quiet}
    gateway = world.app.extensions["elx.payments"]
    opened = {i.invoice_id: i.amount_fen for i in gateway.intents.values() if i.invoice_id}
    assert opened == {jan[busy]["id"]: 50, feb[busy]["id"]: 500}  # zero invoices: no charge


def test_rerunning_a_period_creates_nothing(world: World) -> None:
    usage_pattern(world)
    first = run(world, JAN).get_json()
    before = invoices(world, JAN)
    again = run(world, JAN).get_json()
    assert (again["created"], again["existing"], again["payments_opened"]) == (0, 2, 0)
    cli = world.app.test_cli_runner().invoke(args=["revenue", "invoice-usage", "--period", JAN])
    assert cli.exit_code == 0 and "created: 0" in cli.output and "existing: 2" in cli.output
    assert invoices(world, JAN) == before and rows(world) == first["created"] == 2
    gateway = world.app.extensions["elx.payments"]
    assert sum(1 for i in gateway.intents.values() if i.invoice_id) == 1


def test_the_cli_invoices_a_period_and_refuses_bad_ones(world: World) -> None:
    usage_pattern(world)
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["revenue", "invoice-usage", "--period", FEB])
    assert result.exit_code == 0 and "created: 2" in result.output and "due: 1" in result.output
    bad = runner.invoke(args=["revenue", "invoice-usage", "--period", "2024-13"])
    assert bad.exit_code != 0 and "period" in bad.output and rows(world) == 2


@pytest.mark.parametrize("period", ["2024-13", "24-01", "2024-1", "1969-12",
                                    "２０２４-01"])  # fullwidth digits: another "2024-01"
def test_bad_periods_are_422(world: World, period: str) -> None:
    response = run(world, period)
    assert response.status_code == 422 and "period" in response.get_json()["errors"]


def test_a_month_not_over_cannot_be_invoiced(world: World) -> None:
    this_month = utcnow().strftime("%Y-%m")
    response = run(world, this_month)
    assert response.status_code == 422 and rows(world) == 0


def test_a_paid_invoice_posts_a_sale_split_by_the_schedule_in_force_at_the_period_end(
        world: World) -> None:
    from marketplace.payments.sync import sync

    operator = world["operator"]
    for start, platform, public in (("2024-01-01T00:00:00Z", 1000, 500),
                                    ("2024-02-01T00:00:00Z", 2000, 0)):
        world.ok("POST", "/revenue/fee-schedules", operator, status=201, json={
            "currency": "CNY", "effective_from": start, "platform_bps": platform,
            "public_service_bps": public, "minimum_fee_fen": 0})
    busy, _quiet = usage_pattern(world)
    run(world, JAN)
    run(world, FEB)
    jan, feb = invoices(world, JAN)[busy], invoices(world, FEB)[busy]
    gateway = world.app.extensions["elx.payments"]
    # February's: the buyer paid, the provider's webhook says so (twice)
    gateway.set_status(feb["payment_intent_id"], "succeeded")
    succeeded = event("payment_intent.succeeded", {
        "id": feb["payment_intent_id"], "amount": 500, "metadata": {"invoice_id": feb["id"]}})
    assert deliver(world, succeeded).get_json()["outcome"] == "applied"
    assert deliver(world, succeeded).get_json()["duplicate"] is True
    # January's: the webhook was lost; payments sync asks the provider
    gateway.set_status(jan["payment_intent_id"], "succeeded")
    with world.app.app_context():
        assert sync()["invoices_paid"] == 1
        assert sync()["invoices_paid"] == 0
    sales = {t["reference"]: {x["account"]: x["credit_fen"] for x in t["lines"]}
             for t in world.ok("GET", "/revenue/journal", world["auditor"])["items"]
             if t["kind"] == "sale"}
    merchant = f"merchant_payable:{world['merchant'].org_id}"
    # January (in force at Jan 31 23:59:59.999999): 10 % + 5 % of 50, half up → 5 + 3
    assert sales[jan["id"]] == {merchant: 42, "platform_commission": 5,
                                "public_service_fund": 3, "provider_clearing": 0}
    # February (the version from Feb 1): 20 % of 500
    assert sales[feb["id"]] == {merchant: 400, "platform_commission": 100,
                                "provider_clearing": 0}
    paid = world.ok("GET", f"/revenue/invoices/{feb['id']}", world["buyer"])
    assert paid["status"] == "paid" and paid["journal_transaction_id"] and paid["paid_at"]
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert report["exceptions"] == [] and report["journal_sales"] == 2
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True


def test_invoices_are_seen_by_their_buyer_merchant_and_staff_only(world: World) -> None:
    mine = metered_license(world)
    theirs = metered_license(world, actor="rival_buyer")
    use(world, mine, datetime(2024, 1, 3, tzinfo=UTC), 500)
    run(world, JAN)
    assert set(invoices(world, JAN, "buyer")) == {mine}
    assert set(invoices(world, JAN, "rival_buyer")) == {theirs}
    assert set(invoices(world, JAN, "merchant")) == {mine, theirs}
    assert invoices(world, JAN, "outsider") == {}
    due = world.ok("GET", "/revenue/invoices?status=due", world["operator"])["items"]
    assert [i["agreement_id"] for i in due] == [mine]
    invoice_id = invoices(world, JAN)[mine]["id"]
    assert world.call("GET", f"/revenue/invoices/{invoice_id}",
                      world["rival_buyer"]).status_code == 404
    assert world.call("GET", "/revenue/invoices/inv_nosuchinvoice000",
                      world["operator"]).status_code == 404
    assert run(world, FEB, actor="auditor").status_code == 403


def test_concurrent_runs_create_one_invoice_per_agreement(world: World) -> None:
    licenses = [metered_license(world) for _ in range(4)]
    for n, license_id in enumerate(licenses):
        use(world, license_id, datetime(2024, 1, 5, tzinfo=UTC), 100 + n)
    created: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def one() -> None:
        with world.app.app_context():
            try:
                barrier.wait()
                created.append(invoicing.issue(JAN, utcnow()).created)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(created) == 4 and rows(world) == 4
    assert {i["amount_fen"] for i in invoices(world, JAN).values()} == {0, 5, 10, 15}


def test_a_lost_insert_race_is_skipped_not_raised(world: World, backend: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The unique constraint is the backstop: another run inserts between our check and our
    insert (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` makes the interleaving impossible)."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises writing transactions: the race cannot happen")
    license_id = metered_license(world)
    use(world, license_id, datetime(2024, 1, 5, tzinfo=UTC), 300)
    real = invoicing.units_used

    def racing(*args: Any) -> int:
        engine = db.engine
        with engine.begin() as conn:  # a second connection: another worker's run
            conn.execute(Invoice.__table__.insert().values(
                id="inv_racewinner000000", agreement_id=license_id, period=JAN,
                buyer_org_id=world["buyer"].org_id, merchant_org_id=world["merchant"].org_id,
                currency="CNY", unit="api_call", units_used=300, included_quota=100,
                billable_units=200, unit_price_fen=5, amount_fen=1_000, status="due",
                period_start=datetime(2024, 1, 1, tzinfo=UTC), period_end=FEB_1,
                created_at=utcnow()))
        return real(*args)

    monkeypatch.setattr(invoicing, "units_used", racing)
    with world.app.app_context():
        result = invoicing.issue(JAN, utcnow())
    assert (result.created, result.existing) == (0, 1) and rows(world) == 1
