"""License moves (issue 5 §5): every move goes through ``contracts.TRANSITIONS`` — each pair
the table lacks is 409 and changes nothing, each pair it has appends one history row and one
ledger entry; random event sequences never leave the table and the history replays to the
current state; the operator's revocation denies the very next use; expiry ends licenses on
time; and on PostgreSQL concurrent duplicates and concurrent moves cannot skip the table.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from contracts import TERMINAL_STATES, TRANSITIONS, AgreementEvent, AgreementState, next_state
from marketplace.clock import FakeClock
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.orders.access import authorize_use, expire_due
from marketplace.orders.models import Agreement, AgreementEventRow, Order
from marketplace.orders.transitions import KINDS, Actor, apply
from tests.api.order_world import FREE, ONE_OFF, PURPOSE, fresh_key, listing, order, order_body
from tests.api.test_orders import ledger_entry, ledger_size
from tests.api.world import World, build_world
from tests.conftest import PG_URL

S, E = AgreementState, AgreementEvent


@pytest.fixture
def world(app_factory: Any) -> World:
    return build_world(app_factory())


def _use(world: World, license_id: str, purpose: str = PURPOSE, **extra: Any) -> Any:
    with world.app.app_context():
        return authorize_use(license_id, "query", purpose=purpose,
                             at=extra.pop("at", datetime.now(UTC)), **extra)


def _forced(world: World, lst: dict[str, Any], state: AgreementState) -> str:
    """A fresh license put straight into ``state`` (the table is what is under test)."""
    lid = order(world, lst["id"], lst["plans"][0]["id"])["license"]["id"]
    with world.app.app_context():
        db.session.execute(update(Agreement).where(Agreement.id == lid).values(state=state))
        db.session.commit()
    return lid


def _history(world: World, license_id: str) -> list[AgreementEventRow]:
    with world.app.app_context():
        rows = list(db.session.scalars(select(AgreementEventRow).where(
            AgreementEventRow.agreement_id == license_id).order_by(AgreementEventRow.seq)))
        db.session.expunge_all()
        return rows


def _apply(world: World, license_id: str, event: AgreementEvent) -> AgreementState:
    with world.app.app_context():
        agreement = db.session.get(Agreement, license_id)
        assert agreement is not None
        apply(agreement, event, Actor(agreement.buyer_org_id), reason="test")
        db.session.commit()
        return db.session.get(Agreement, license_id).state  # type: ignore[union-attr]


def _state(world: World, license_id: str) -> AgreementState:
    with world.app.app_context():
        return db.session.get(Agreement, license_id).state  # type: ignore[union-attr]


def test_revocation_denies_the_very_next_use(world: World) -> None:
    lst = listing(world, FREE)
    lid = order(world, lst["id"], lst["plans"][0]["id"])["license"]["id"]
    assert _use(world, lid).allowed
    assert not _use(world, lid, purpose="marketing").allowed, "only the declared purpose"
    world.ok("POST", f"/licenses/{lid}/revoke", world["operator"], json={}, status=422)
    revoked = world.ok("POST", f"/licenses/{lid}/revoke", world["operator"],
                       json={"reason": "超范围使用"})
    assert (revoked["state"], revoked["revoke_reason"]) == ("revoked", "超范围使用")
    decision = _use(world, lid)
    assert not decision.allowed and "revoked" in " ".join(decision.reasons)
    fields, payload = ledger_entry(world, revoked["history"][-1]["ledger_index"])
    assert (fields["kind"], payload["reason"]) == ("agreement.revoked", "超范围使用")
    operator = world.ok("GET", "/me", world["operator"])["user"]["id"]
    assert fields["actor"] == {"org": world["operator"].org_id, "user": operator}
    placed = world.ok("GET", f"/orders/{revoked['order_id']}", world["buyer"])
    assert placed["next_action"] is None


def test_revoking_a_final_license_is_409_and_changes_nothing(world: World) -> None:
    lst = listing(world, FREE)
    lid = order(world, lst["id"], lst["plans"][0]["id"])["license"]["id"]
    world.ok("POST", f"/licenses/{lid}/revoke", world["operator"], json={"reason": "a"})
    size = ledger_size(world)
    again = world.call("POST", f"/licenses/{lid}/revoke", world["operator"], json={"reason": "b"})
    assert again.status_code == 409 and again.get_json()["state"] == "revoked"
    assert ledger_size(world) == size
    assert world.ok("GET", f"/licenses/{lid}", world["buyer"])["revoke_reason"] == "a"


@pytest.mark.parametrize("state", list(AgreementState), ids=lambda s: s.value)
def test_every_move_follows_the_table(world: World, state: AgreementState) -> None:
    """From ``state``, each event the table lacks is 409 with nothing written; each it has
    moves to the table's target with one history row and one ledger entry."""
    lst = listing(world, FREE)
    for event in AgreementEvent:
        lid = _forced(world, lst, state)
        rows, size = len(_history(world, lid)), ledger_size(world)
        if (state, event) not in TRANSITIONS:
            with pytest.raises(Conflict):
                _apply(world, lid, event)
            assert (_state(world, lid), len(_history(world, lid)), ledger_size(world)) == (
                state, rows, size), event
            continue
        assert _apply(world, lid, event) is TRANSITIONS[(state, event)]
        last = _history(world, lid)[-1]
        assert (last.event, last.from_state, last.to_state) == (
            event, state, TRANSITIONS[(state, event)])
        assert ledger_size(world) == size + 1 and last.ledger_index == size
        fields, payload = ledger_entry(world, size)
        assert (fields["kind"], fields["subject"], payload["event"]) == (KINDS[event], lid,
                                                                         event.value)


def test_random_event_sequences_stay_in_the_table(world: World) -> None:
    lst = listing(world, FREE, ONE_OFF)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(paid=st.booleans(), events=st.lists(st.sampled_from(list(AgreementEvent)),
                                               max_size=8))
    def check(paid: bool, events: list[AgreementEvent]) -> None:
        lid = order(world, lst["id"], lst["plans"][int(paid)]["id"])["license"]["id"]
        state, size, moves = _state(world, lid), ledger_size(world), 0
        for event in events:
            try:
                reached = _apply(world, lid, event)
            except Conflict:
                assert (state, event) not in TRANSITIONS
                assert _state(world, lid) is state
                continue
            assert reached is TRANSITIONS[(state, event)]
            state, moves = reached, moves + 1
        assert ledger_size(world) == size + moves
        rows = _history(world, lid)
        replayed = rows[0].to_state
        for row in rows[1:]:
            assert row.from_state is replayed
            replayed = next_state(replayed, row.event)  # type: ignore[arg-type]
            assert row.to_state is replayed
        assert replayed is state is _state(world, lid)
        assert [r.seq for r in rows] == list(range(len(rows)))
        assert _use(world, lid).allowed == (state is S.ACTIVE)

    check()


def test_licenses_expire_when_their_term_ends(app_factory: Any) -> None:
    clock = FakeClock(datetime(2026, 1, 31, 9, 0, tzinfo=UTC))
    world = build_world(app_factory(CLOCK=clock, ACCESS_TOKEN_TTL=10**8))
    timed = listing(world, FREE, license_params={"valid_days": 30})
    monthly = listing(world, {"kind": "subscription", "price_fen": 900, "period": "monthly"})
    short = order(world, timed["id"], timed["plans"][0]["id"])["license"]
    sub = order(world, monthly["id"], monthly["plans"][0]["id"])
    world.app.extensions["elx.payments"].confirm(sub["id"])
    sub_license = world.ok("GET", f"/licenses/{sub['license']['id']}", world["buyer"])
    assert short["valid_until"].startswith("2026-03-02T09:00")
    assert sub_license["valid_until"].startswith("2026-02-28T09:00"), "a calendar month"
    clock.advance(timedelta(days=28, seconds=-1).total_seconds())
    with world.app.app_context():
        assert expire_due() == []
    assert _use(world, sub_license["id"], at=clock.now()).allowed
    clock.advance(1)
    assert not _use(world, sub_license["id"], at=clock.now()).allowed, "the window is checked"
    with world.app.app_context():
        assert expire_due() == [sub_license["id"]]
        assert expire_due() == []
    clock.advance(timedelta(days=2).total_seconds())
    with world.app.app_context():
        assert expire_due() == [short["id"]]
    for lid in (short["id"], sub_license["id"]):
        body = world.ok("GET", f"/licenses/{lid}", world["buyer"])
        assert body["state"] == "expired" and body["history"][-1]["event"] == "expire"
        fields, _ = ledger_entry(world, body["history"][-1]["ledger_index"])
        assert fields["kind"] == "agreement.expired"
        assert fields["actor"] == {"org": world["operator"].org_id, "user": None}


def test_terminal_states_are_the_tables(world: World) -> None:
    """The revoke route relies on the table: from every final state it is 409."""
    lst = listing(world, FREE)
    for state in TERMINAL_STATES:
        lid = _forced(world, lst, state)
        world.ok("POST", f"/licenses/{lid}/revoke", world["operator"], json={"reason": "x"},
                 status=409)


# ----------------------------------------------------------------------------- PostgreSQL races


def _pg_world(app_factory: Any) -> World:
    if not PG_URL:
        pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    return build_world(app_factory("postgresql", validate_contract=False))


def _gate(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, parties: int) -> None:
    """Make ``module.name`` wait until ``parties`` threads have reached it."""
    barrier, real = threading.Barrier(parties, timeout=20), getattr(module, name)

    def gated(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, gated)


def _run(*targets: Any) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _ledger_kinds(world: World, subject: str) -> list[str]:
    lines = map(json.loads, world.call("GET", "/ledger/export").get_data(as_text=True).splitlines())
    entries = (json.loads(line["entry"]) for line in lines if line["type"] == "entry")
    return [e["kind"] for e in entries if e["subject"] == subject]


@pytest.mark.postgres
def test_eight_concurrent_duplicates_make_one_order(app_factory: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """All eight have looked for the key (and found none) before any inserts."""
    import marketplace.orders.ordering as ordering

    world = _pg_world(app_factory)
    lst = listing(world, ONE_OFF)
    body, key = order_body(world, lst["id"], lst["plans"][0]["id"]), fresh_key()
    _gate(monkeypatch, ordering, "utcnow", 8)
    answers: list[tuple[int, Any]] = []

    def post() -> None:
        response = world.app.test_client().post(
            "/api/v1/orders", json=body, headers={**world["buyer"].headers(),
                                                  "Idempotency-Key": key})
        answers.append((response.status_code, response.get_json()))

    _run(*[post] * 8)
    monkeypatch.undo()
    assert [status for status, _ in answers] == [201] * 8
    assert all(answer == answers[0][1] for _, answer in answers)
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(Agreement)) == 1
    assert len(world.app.extensions["elx.payments"].started) == 1
    assert _ledger_kinds(world, answers[0][1]["license"]["id"]) == ["agreement.created"]


@pytest.mark.postgres
def test_concurrent_revoke_and_payment_cannot_skip_the_table(
        app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both have read ``pending_payment`` before either writes; exactly one moves it, the
    other gets 409, and the ledger holds one entry per move that happened."""
    import marketplace.orders.transitions as transitions

    world = _pg_world(app_factory)
    lst = listing(world, ONE_OFF)
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    lid = placed["license"]["id"]
    _gate(monkeypatch, transitions, "target", 2)
    outcome: dict[str, Any] = {}

    def revoke() -> None:
        response = world.app.test_client().post(
            f"/api/v1/licenses/{lid}/revoke", json={"reason": "违约"},
            headers=world["operator"].headers())
        outcome[E.REVOKE] = response.status_code

    def pay() -> None:
        try:
            world.app.extensions["elx.payments"].confirm(placed["id"])
            outcome[E.PAYMENT_SUCCEEDED] = 200
        except Conflict:
            outcome[E.PAYMENT_SUCCEEDED] = 409

    _run(revoke, pay)
    monkeypatch.undo()
    # Either one move wins and the other is refused (409), or a loser that re-reads applies
    # its event to the new state when the table allows it (payment, then revoke). Never both
    # from pending_payment: the history must be a walk through the table.
    assert sorted(outcome.values()) in ([200, 409], [200, 200]), outcome
    rows = _history(world, lid)
    assert (rows[0].event, rows[0].to_state) == (None, S.PENDING_PAYMENT)
    state, applied = S.PENDING_PAYMENT, []
    for row in rows[1:]:
        assert row.from_state is state and next_state(state, row.event) is row.to_state
        state = row.to_state
        applied.append(row.event)
    # a 200 may also be a no-op (a late payment on a revoked license changes nothing)
    assert applied and set(applied) <= {e for e, status in outcome.items() if status == 200}
    assert _state(world, lid) is state
    assert _ledger_kinds(world, lid) == ["agreement.created", *(KINDS[e] for e in applied)]
