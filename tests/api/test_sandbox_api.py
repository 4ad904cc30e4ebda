"""Sandbox queries through the API (issue 7 §2–6): a vetted query's noisy answer comes with
an offline-verifiable ledger receipt; a repeat (however spelled) returns the cached answer
for no ε; the budget is debited atomically and never overspent, even concurrently; refusals
name the rule and echo nothing; a failed run keeps its ε spent but refunds the use; revocation
bites on the next call; a runaway query is stopped and the pool keeps serving."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.note import Verifier
from ledger.receipt import verify_receipt
from marketplace.access import queries
from marketplace.access.models import PrivacyBudget, SandboxAnswer, UsageRecord
from marketplace.db import db
from marketplace.orders.models import Agreement
from tests.api.access_world import element, license_for, set_policy
from tests.api.order_world import PURPOSE
from tests.api.world import World, build_world

BY_DISTRICT = "SELECT 区县, count(*) FROM element GROUP BY 区县"


@pytest.fixture
def world(app_factory: Any, backend: str) -> Any:
    app = app_factory(backend, SANDBOX_WORKERS=1, SANDBOX_TIMEOUT_SECONDS=2)
    yield build_world(app)
    runner = app.extensions.get("elx.sandbox_runner")
    if runner is not None:
        runner.close()


def licensed(world: World, **policy: Any) -> str:
    eid = element(world)
    set_policy(world, eid, policy=policy)
    return license_for(world, eid)


def ask(world: World, lic: str, sql: str, actor: str = "buyer", **kwargs: Any) -> Any:
    return world.call("POST", f"/licenses/{lic}/queries", world[actor],
                      json={"sql": sql, "purpose": PURPOSE}, **kwargs)


def state(world: World, lic: str) -> tuple[int, int, int, int]:
    """(count_used, ε spent in nano, cached answers, usage rows) of the license."""
    with world.app.app_context():
        used = db.session.get(Agreement, lic).count_used
        wallet = db.session.get(PrivacyBudget, lic)
        answers = db.session.scalar(select(func.count()).select_from(SandboxAnswer)
                                    .where(SandboxAnswer.agreement_id == lic))
        usage = db.session.scalar(select(func.count()).select_from(UsageRecord)
                                  .where(UsageRecord.agreement_id == lic))
        return used, wallet.spent_nano if wallet else 0, answers, usage


def ledger_size(world: World) -> int:
    return int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])


def test_answer_carries_a_verifiable_receipt_and_repeats_are_free(world: World) -> None:
    lic = licensed(world)
    first = ask(world, lic, BY_DISTRICT).get_json()
    assert first["cached"] is False and first["epsilon"] == {
        "spent": "1", "total_spent": "1", "remaining": "2", "limit": "3"}
    assert first["columns"] == ["区县", "count(*)"] and first["suppressed"] == 0
    assert sorted(r[0] for r in first["rows"]) == ["广汉市", "旌阳区", "罗江区"]
    keys = [Verifier.from_vkey(k["vkey"]) for k in world.ok("GET", "/ledger/public-keys")["keys"]
            if k["role"] == "log"]
    entry = verify_receipt(first["receipt"], keys)
    payload = json.loads(base64.b64decode(first["receipt"]["payload"]))
    assert entry.kind == queries.EXECUTED and entry.index == first["ledger_index"]
    assert payload["agreement_id"] == lic and payload["epsilon_spent"] == "1"
    assert payload["result_sha256"] == first["result_sha256"]
    assert payload["fingerprint"] == first["fingerprint"]
    assert payload["element_version_id"] == first["element_version_id"]
    # The same measured query, spelled differently, by the buyer's program: cached, no ε.
    key = world.ok("POST", "/api-keys", world["buyer"],
                   json={"org_id": world["buyer"].org_id, "name": "p"}, status=201)["key"]
    again = world.call("POST", f"/licenses/{lic}/queries", headers={"X-API-Key": key,
                       "X-Purpose": PURPOSE}, json={
        "sql": "select 区县 AS d, COUNT(*) AS n from element group by 区县 order by n"})
    body = again.get_json()
    assert again.status_code == 200 and body["cached"] is True
    assert body["epsilon"]["spent"] == "0" and body["epsilon"]["remaining"] == "2"
    assert sorted(map(tuple, body["rows"])) == sorted(map(tuple, first["rows"]))
    assert body["result_sha256"] == first["result_sha256"]
    assert body["ledger_index"] > first["ledger_index"]
    assert state(world, lic) == (2, 10**9, 1, 2)  # two uses, one ε, one answer, two usage rows


def test_a_cached_repeat_spends_no_epsilon_but_is_a_metered_use(world: World) -> None:
    """The repeat releases nothing new (no ε), but the buyer got an answer: it takes one use
    of the quota, one billed ``sandbox_query`` usage row and its own ledger entry."""
    eid = element(world)
    set_policy(world, eid)
    lic = license_for(world, eid, max_calls=2)
    first = ask(world, lic, BY_DISTRICT).get_json()
    again = ask(world, lic, BY_DISTRICT).get_json()
    assert again["cached"] is True and again["epsilon"]["spent"] == "0"
    assert again["rows"] == first["rows"]
    assert state(world, lic) == (2, 10**9, 1, 2)
    with world.app.app_context():
        units = db.session.scalars(select(UsageRecord.unit)
                                   .where(UsageRecord.agreement_id == lic)).all()
        assert [u.value for u in units] == ["sandbox_query"] * 2
    kind, payload = entry(world, again["ledger_index"])
    assert kind == queries.EXECUTED and payload["cached"] is True
    assert payload["epsilon_spent"] == "0" and payload["result_sha256"] == first["result_sha256"]
    third = ask(world, lic, BY_DISTRICT)  # the quota is used up, cached or not
    assert third.status_code == 402 and "rule" not in third.get_json()
    assert state(world, lic) == (2, 10**9, 1, 2)


def test_budget_exhausted_is_402_and_cached_answers_stay_free(world: World) -> None:
    lic = licensed(world)
    distinct = [BY_DISTRICT, "SELECT 类别, count(*) FROM element GROUP BY 类别",
                "SELECT count(*) FROM element"]
    for sql in distinct:
        assert ask(world, lic, sql).status_code == 200
    size = ledger_size(world)
    refused = ask(world, lic, "SELECT sum(数量) FROM element")
    assert refused.status_code == 402
    assert refused.get_json()["rule"] == "sandbox.budget.exhausted"
    assert state(world, lic) == (3, 3 * 10**9, 3, 3) and ledger_size(world) == size
    assert ask(world, lic, BY_DISTRICT).get_json()["cached"] is True


def test_rejection_names_the_rule_echoes_nothing_and_changes_nothing(world: World) -> None:
    lic = licensed(world)
    size = ledger_size(world)
    for sql, rule in (("SELECT id FROM element WHERE 区县 = 'zz_secret_literal'",
                       "sandbox.identity.referenced"),
                      ("SELECT 区县 FROM element; DROP TABLE element", "sandbox.statement.count"),
                      ("SELECT count(*) FROM read_csv('/etc/zz_secret_literal')", None)):
        response = ask(world, lic, sql)
        body = response.get_json()
        assert response.status_code == 422, body
        assert body["rule"].startswith("sandbox.") and (rule is None or body["rule"] == rule)
        assert "zz_secret_literal" not in response.get_data(as_text=True)
    assert state(world, lic) == (0, 0, 0, 0) and ledger_size(world) == size


def test_only_the_buyer_may_query_and_revocation_bites_on_the_next_call(world: World) -> None:
    lic = licensed(world)
    assert ask(world, lic, BY_DISTRICT, actor="merchant").status_code == 403
    assert ask(world, lic, BY_DISTRICT, actor="rival_buyer").status_code == 404
    wrong = world.call("POST", f"/licenses/{lic}/queries", world["buyer"],
                       json={"sql": BY_DISTRICT, "purpose": "marketing"})
    assert wrong.status_code == 403 and wrong.get_json()["reasons"]
    assert ask(world, lic, BY_DISTRICT).status_code == 200
    world.ok("POST", f"/licenses/{lic}/revoke", world["operator"], json={"reason": "违约"})
    denied = ask(world, lic, BY_DISTRICT)
    assert denied.status_code == 403 and "revoked" in " ".join(denied.get_json()["reasons"])


def entry(world: World, index: int) -> tuple[str, dict[str, Any]]:
    """(kind, payload) of ledger entry ``index``."""
    body = world.ok("GET", f"/ledger/entries/{index}")
    return body["fields"]["kind"], json.loads(base64.b64decode(body["payload"]))


@pytest.mark.parametrize(("sql", "status", "slug"), [
    ("SELECT sum(hash(i)) FROM range(1000000000000) t(i)", 504, "query-timeout"),
    ("SELECT error('zz_engine_' || 'secret')", 503, "query-failed")])
def test_a_failed_run_keeps_its_epsilon_spent_refunds_the_use_and_the_pool_keeps_serving(
        world: World, monkeypatch: pytest.MonkeyPatch, sql: str, status: int,
        slug: str) -> None:
    """Runaway or broken: one generic problem naming the ε spent (it stays spent: the query
    ran on the data), the use refunded (no answer, no usage row, nothing cached), the spend
    on the ledger as ``sandbox.query.failed``; the worker pool then serves the next query."""
    lic = licensed(world)
    real = queries.plan

    def broken(*args: Any) -> Any:
        return dataclasses.replace(real(*args), params=(), sql=sql)

    monkeypatch.setattr(queries, "plan", broken)
    size = ledger_size(world)
    stopped = ask(world, lic, BY_DISTRICT)
    body = stopped.get_json()
    assert stopped.status_code == status, body
    assert stopped.mimetype == "application/problem+json" and body["type"].endswith(slug)
    assert "zz_engine_" not in stopped.get_data(as_text=True)
    if status == 504:
        assert body["detail"] == "The query ran past the time limit and was stopped."
    assert body["epsilon_spent"] == "1" and body["ledger_index"] == size
    assert state(world, lic) == (0, 10**9, 0, 0) and ledger_size(world) == size + 1
    kind, payload = entry(world, size)
    assert kind == queries.FAILED and payload["reason"] == slug
    assert payload["epsilon_spent"] == "1" and payload["agreement_id"] == lic
    monkeypatch.setattr(queries, "plan", real)
    assert len(world.app.extensions["elx.sandbox_runner"].worker_pids()) == 1
    served = ask(world, lic, BY_DISTRICT).get_json()  # not cached: it runs (and pays) again
    assert served["cached"] is False and served["epsilon"]["total_spent"] == "2"
    assert state(world, lic) == (1, 2 * 10**9, 1, 1)


def test_concurrent_queries_cannot_overspend(world: World) -> None:
    """Eight distinct queries at once against a budget of three: exactly three are answered
    (on PostgreSQL the debits really race on the budget row)."""
    lic = licensed(world)
    sqls = [f"SELECT count(*) FROM element WHERE 区县 <> 'd{i}'" for i in range(8)]
    barrier, statuses = threading.Barrier(len(sqls), timeout=30), []
    lock = threading.Lock()

    def run(sql: str) -> None:
        client = world.app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/licenses/{lic}/queries", headers={
            **world["buyer"].headers(), "X-Purpose": PURPOSE}, json={"sql": sql})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=run, args=(sql,)) for sql in sqls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(statuses) == [200] * 3 + [402] * 5
    assert state(world, lic) == (3, 3 * 10**9, 3, 3)
