"""Login throttling per account and per client (OWASP Authentication Cheat Sheet, "Login
Throttling"), and uniform failures for unknown emails vs wrong passwords."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from marketplace.accounts import passwords
from marketplace.accounts.models import User
from marketplace.clock import FakeClock
from marketplace.db import db
from tests.api.world import PASSWORD, World

LIMIT, WINDOW = 3, 600


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(app_factory: Any, clock: FakeClock) -> World:
    app = app_factory(CLOCK=clock, LOGIN_MAX_FAILURES=LIMIT, LOGIN_MAX_FAILURES_PER_CLIENT=LIMIT,
                      LOGIN_WINDOW=WINDOW)
    world = World(app, app.test_client())
    for name in ("alice", "bob", "carol"):
        world.register(name)
    return world


def login(world: World, email: str, password: str = PASSWORD, client: str = "10.0.0.1") -> Any:
    return world.client.post("/api/v1/auth/token", json={"email": email, "password": password},
                             environ_base={"REMOTE_ADDR": client})


def assert_throttled(response: Any) -> int:
    assert response.status_code == 429, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= WINDOW + 1
    return retry_after


def test_account_locks_after_the_limit_even_with_the_right_password(world: World,
                                                                    clock: FakeClock) -> None:
    for i in range(LIMIT):  # each guess from a different client: the account limit applies
        assert login(world, "alice@example.org", "wrong guess!!", f"10.1.0.{i}") \
            .status_code == 401
        clock.advance(10)
    retry_after = assert_throttled(login(world, "alice@example.org", client="10.2.0.1"))
    assert login(world, "bob@example.org", client="10.2.0.2").status_code == 200
    clock.advance(retry_after - 2)
    assert_throttled(login(world, "alice@example.org", client="10.2.0.1"))
    clock.advance(2)  # Retry-After is honest: after it, the correct password works again
    assert login(world, "alice@example.org", client="10.2.0.1").status_code == 200


def test_email_case_does_not_dodge_the_account_limit(world: World) -> None:
    for i, email in enumerate(["alice@example.org", "ALICE@example.org", "Alice@Example.Org"]):
        login(world, email, "wrong guess!!", f"10.1.0.{i}")
    assert_throttled(login(world, " alice@EXAMPLE.org ", client="10.2.0.1"))


def test_credential_stuffing_from_one_client_is_throttled(world: World) -> None:
    for i in range(LIMIT):  # one client, many accounts (mostly nonexistent)
        assert login(world, f"victim{i}@example.org", "Summer2026!!", "203.0.113.9") \
            .status_code == 401
    assert_throttled(login(world, "carol@example.org", client="203.0.113.9"))
    assert login(world, "carol@example.org", client="198.51.100.7").status_code == 200


def test_failures_outside_the_window_are_forgotten(world: World, clock: FakeClock) -> None:
    for _ in range(LIMIT - 1):
        login(world, "alice@example.org", "wrong guess!!")
    clock.advance(WINDOW + 1)
    for _ in range(LIMIT - 1):
        assert login(world, "alice@example.org", "wrong guess!!").status_code == 401
    assert login(world, "alice@example.org").status_code == 200


def test_throttled_attempts_do_not_extend_the_lockout(world: World, clock: FakeClock) -> None:
    for _ in range(LIMIT):
        login(world, "alice@example.org", "wrong guess!!")
    for _ in range(20):
        clock.advance(10)
        assert_throttled(login(world, "alice@example.org", "wrong guess!!"))
    clock.advance(WINDOW - 200 + 1)
    assert login(world, "alice@example.org").status_code == 200


def test_successful_logins_are_not_failures(world: World) -> None:
    for _ in range(LIMIT * 3):
        assert login(world, "alice@example.org").status_code == 200


def test_unknown_email_and_wrong_password_look_the_same(world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    derivations: list[int] = []
    real = passwords._derive

    def counting(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        derivations.append(n)
        return real(password, salt, n, r, p)

    monkeypatch.setattr(passwords, "_derive", counting)
    wrong = login(world, "alice@example.org", "wrong guess!!", "10.0.0.1")
    wrong_work = list(derivations)
    derivations.clear()
    unknown = login(world, "nobody@example.org", "wrong guess!!", "10.0.0.2")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data() == unknown.get_data()
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    n = world.app.config["SCRYPT_N"]
    assert wrong_work == derivations == [n]  # one scrypt of the same cost either way


def test_inactive_account_fails_like_a_wrong_password(world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with world.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "alice@example.org"))
        user.is_active = False
        db.session.commit()
    calls: list[int] = []
    real = passwords._derive
    monkeypatch.setattr(passwords, "_derive",
                        lambda pw, salt, n, r, p: calls.append(n) or real(pw, salt, n, r, p))
    disabled = login(world, "alice@example.org", client="10.0.0.3")
    wrong = login(world, "bob@example.org", "wrong guess!!", client="10.0.0.4")
    assert disabled.status_code == 401 and disabled.get_data() == wrong.get_data()
    assert len(calls) == 2


def test_malformed_login_is_422_and_not_counted(app: Flask) -> None:
    world = World(app, app.test_client())
    world.register("alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        response = world.client.post("/api/v1/auth/token",
                                     json={"email": "alice@example.org", "password": 1})
        assert response.status_code == 422
        assert "password" in response.get_json()["errors"]
    assert world.client.post("/api/v1/auth/token", json={
        "email": "alice@example.org", "password": PASSWORD}).status_code == 200


def test_attempts_older_than_the_window_are_pruned(world: World, clock: FakeClock) -> None:
    """The attempts table does not grow without bound: a login prunes the account's and the
    client's rows that fell out of the window."""
    from sqlalchemy import func, select

    from marketplace.accounts.models import LoginAttempt
    from marketplace.db import db

    for i in range(LIMIT - 1):
        login(world, "alice@example.org", "wrong guess!!", f"10.5.0.{i}")
    clock.advance(WINDOW + 1)
    assert login(world, "alice@example.org", client="10.5.0.0").status_code == 200
    with world.app.app_context():
        rows = db.session.scalars(select(LoginAttempt.at).where(
            LoginAttempt.email == "alice@example.org")).all()
        total = db.session.scalar(select(func.count()).select_from(LoginAttempt))
    assert len(rows) == 1  # only the successful attempt just made
    assert total >= 1


def test_per_client_limit_is_separate_from_the_account_limit(app_factory: Any) -> None:
    """An office behind one address may mistype more often than one account may be guessed."""
    app = app_factory(LOGIN_MAX_FAILURES=2, LOGIN_MAX_FAILURES_PER_CLIENT=4, LOGIN_WINDOW=WINDOW)
    world = World(app, app.test_client())
    for name in ("dora", "erin", "fay"):
        world.register(name)
    login(world, "dora@example.org", "wrong guess!!", "192.0.2.1")
    login(world, "erin@example.org", "wrong guess!!", "192.0.2.1")
    login(world, "fay@example.org", "wrong guess!!", "192.0.2.1")
    assert login(world, "dora@example.org", client="192.0.2.1").status_code == 200
    login(world, "erin@example.org", "wrong guess!!", "192.0.2.1")
    assert_throttled(login(world, "fay@example.org", client="192.0.2.1"))
