"""No database lock is held while a sandbox query runs (issue 7 §4–5): admission (ε debit,
counted use, reserved cache slot) commits before the run, so other writers proceed; an
identical query meanwhile gets 409 instead of a second noisy answer; a reservation left by a
dead request is reclaimed, and the request it was taken from cannot release its answer."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import update

from marketplace.access.models import SandboxAnswer
from marketplace.access.runner import EXTENSION, runner
from marketplace.clock import utcnow
from marketplace.db import db
from tests.api.test_sandbox_api import BY_DISTRICT, ask, licensed, state
from tests.api.world import World, build_world

LOCK_WAIT_S = 0.3


@pytest.fixture
def world(app_factory: Any, backend: str) -> Any:
    app = app_factory(backend, SANDBOX_WORKERS=1, SANDBOX_TIMEOUT_SECONDS=5)
    yield build_world(app)
    found = app.extensions.get(EXTENSION)
    if found is not None:
        found.close()


class HeldRunner:
    """The app's real runner, but its first ``execute`` waits until the test says go."""

    def __init__(self, real: Any) -> None:
        self.real, self.started, self.go, self.calls = real, threading.Event(), threading.Event(), 0

    def execute(self, path: Any, execution: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            assert self.go.wait(30)
        return self.real.execute(path, execution)

    def close(self) -> None:
        self.real.close()


def hold(world: World) -> HeldRunner:
    with world.app.app_context():
        held = HeldRunner(runner())
    world.app.extensions[EXTENSION] = held
    return held


def in_thread(world: World, lic: str) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        out.append(ask(world, lic, BY_DISTRICT))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def write_elsewhere(world: World, lic: str) -> tuple[int, int]:
    """From a separate connection that waits at most 0.3 s for a lock: write the license's
    agreement and budget rows and commit; returns (count_used, ε spent) as committed."""
    with world.app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), timeout=LOCK_WAIT_S, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
            conn.execute("UPDATE agreements SET count_used = count_used WHERE id = ?", (lic,))
            conn.execute("UPDATE access_privacy_budgets SET spent_nano = spent_nano "
                         "WHERE agreement_id = ?", (lic,))
            row = conn.execute("SELECT a.count_used, b.spent_nano FROM agreements a JOIN "
                               "access_privacy_budgets b ON b.agreement_id = a.id "
                               "WHERE a.id = ?", (lic,)).fetchone()
            conn.execute("COMMIT")
        finally:
            conn.close()
        return int(row[0]), int(row[1])
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(LOCK_WAIT_S * 1000)}ms'")
            conn.execute(sa.text("UPDATE agreements SET count_used = count_used WHERE id = :i"),
                         {"i": lic})
            conn.execute(sa.text("UPDATE access_privacy_budgets SET spent_nano = spent_nano "
                                 "WHERE agreement_id = :i"), {"i": lic})
            row = conn.execute(sa.text(
                "SELECT a.count_used, b.spent_nano FROM agreements a JOIN "
                "access_privacy_budgets b ON b.agreement_id = a.id WHERE a.id = :i"),
                {"i": lic}).one()
        return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def test_another_writer_commits_while_a_query_runs(world: World) -> None:
    lic = licensed(world)
    held = hold(world)
    thread, out = in_thread(world, lic)
    try:
        assert held.started.wait(30)
        # admission is committed before the run: the use is counted and ε spent already
        assert write_elsewhere(world, lic) == (1, 10**9)
        assert ask(world, lic, BY_DISTRICT).status_code == 409  # identical, still running
    finally:
        held.go.set()
        thread.join(60)
    body = out[0].get_json()
    assert out[0].status_code == 200, body
    assert body["cached"] is False and body["epsilon"]["spent"] == "1"
    assert state(world, lic) == (1, 10**9, 1, 1)
    repeat = ask(world, lic, BY_DISTRICT).get_json()  # now the cached answer, for no ε
    assert repeat["cached"] is True and repeat["rows"] == body["rows"]
    assert state(world, lic) == (2, 10**9, 1, 2)


def test_an_abandoned_reservation_is_reclaimed_and_only_one_answer_is_released(
        world: World) -> None:
    """A's reservation looks abandoned (backdated past the timeout + grace): B reclaims it,
    pays and is answered; A, finishing later, may not release a second noisy answer to the
    same query (409), keeps its ε spent and has its use refunded."""
    lic = licensed(world)
    held = hold(world)
    thread, out = in_thread(world, lic)
    try:
        assert held.started.wait(30)
        with world.app.app_context():
            db.session.execute(update(SandboxAnswer).where(SandboxAnswer.agreement_id == lic)
                               .values(created_at=utcnow() - timedelta(hours=1)))
            db.session.commit()
        b = ask(world, lic, BY_DISTRICT).get_json()
        assert b["cached"] is False and b["epsilon"]["total_spent"] == "2"
    finally:
        held.go.set()
        thread.join(60)
    a = out[0]
    assert a.status_code == 409 and a.get_json()["epsilon_spent"] == "1"
    assert state(world, lic) == (1, 2 * 10**9, 1, 1)
    c = ask(world, lic, BY_DISTRICT).get_json()
    assert c["cached"] is True and c["rows"] == b["rows"]
    assert c["result_sha256"] == b["result_sha256"]
