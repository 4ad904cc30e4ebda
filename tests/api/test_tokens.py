"""Access tokens (JWT, RFC 7519/8725) and refresh-token rotation (RFC 9700 §4.14.2).

Forged tokens are built by hand (base64url + HMAC-SHA256, RFC 7515 §3) rather than with PyJWT,
so the tests do not share the implementation's library; a control case proves the forger makes
tokens the service accepts when nothing is wrong with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from marketplace.accounts.models import RefreshToken
from marketplace.clock import FakeClock
from marketplace.db import db
from tests.api.world import PASSWORD, Actor, World
from tests.conftest import make_app

PROBLEM = "application/problem+json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None,
          digest: Callable[..., Any] = hashlib.sha256) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), digest).digest() if secret else b""
    return f"{signing_input}.{b64url(signature)}"


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _sig = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(payload))


def key_spec() -> tuple[str, bytes, bytes]:
    s1, s2 = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    return f"k1:{s1},k2:{s2}", s1.encode(), s2.encode()


def me(world: World, token: str | None = None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return world.client.get("/api/v1/me", headers=headers)


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.get_json()
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def refresh(world: World, token: str) -> Any:
    return world.client.post("/api/v1/auth/refresh", json={"refresh_token": token})


# ------------------------------------------------------------------------------- login, /me


def test_login_issues_a_short_lived_jwt_with_kid_and_an_opaque_refresh_token(
        app_factory: Any, backend: str) -> None:
    spec, _s1, _s2 = key_spec()
    app = app_factory(backend=backend, JWT_KEYS=spec, ACCESS_TOKEN_TTL=600)
    world = World(app, app.test_client())
    alice = world.register("alice")
    tokens = world.ok("POST", "/auth/token",
                      json={"email": "ALICE@example.org", "password": PASSWORD})
    header, claims = parts(tokens["access_token"])
    assert (header["alg"], header["kid"]) == ("HS256", "k1")  # the first listed key signs
    assert claims["sub"] == alice.user_id and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 600 == tokens["expires_in"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"].startswith("elxr_") and "." not in tokens["refresh_token"]
    body = me(world, tokens["access_token"]).get_json()
    assert body["user"]["email"] == "alice@example.org"
    assert body["user"]["id"] == alice.user_id and body["api_key_id"] is None
    assert "password_hash" not in json.dumps(body)


def test_bearer_scheme_is_case_insensitive(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    response = me(world, Authorization=f"bearer {alice.token}")
    assert response.status_code == 200


def test_access_token_expires_on_the_fake_clock(app_factory: Any) -> None:
    clock = FakeClock()
    app = app_factory(CLOCK=clock, ACCESS_TOKEN_TTL=900)
    world = World(app, app.test_client())
    alice = world.register("alice")
    clock.advance(899)
    assert me(world, alice.token).status_code == 200
    clock.advance(1)
    response = me(world, alice.token)
    assert_unauthorized(response)
    assert "expired" in response.get_json()["detail"]


def test_token_from_the_future_is_refused(app_factory: Any) -> None:
    clock = FakeClock()
    app = app_factory(CLOCK=clock)
    world = World(app, app.test_client())
    alice = world.register("alice")
    clock.advance(-3600)  # issued an hour "later" than the server now believes
    assert_unauthorized(me(world, alice.token))


# ------------------------------------------------------------------------------- forgeries


@dataclass
class Ctx:
    real: str
    claims: dict[str, Any]
    s1: bytes
    s2: bytes
    victim_id: str
    refresh: str

    def signed(self, secret: bytes | None = None, kid: str = "k1", alg: str = "HS256",
               **changes: Any) -> str:
        claims = {**self.claims, **changes}
        for name, value in changes.items():
            if value is DROP:
                del claims[name]
        return forge({"alg": alg, "typ": "JWT", "kid": kid}, claims,
                     self.s1 if secret is None else secret)


DROP = object()

FORGERIES: dict[str, Callable[[Ctx], str]] = {
    "wrong-secret": lambda c: c.signed(secret=secrets.token_bytes(32)),
    "unknown-kid": lambda c: c.signed(kid="k9"),
    "kid-missing": lambda c: forge({"alg": "HS256", "typ": "JWT"}, c.claims, c.s1),
    "alg-none": lambda c: forge({"alg": "none", "typ": "JWT", "kid": "k1"}, c.claims, None),
    "alg-none-uppercase": lambda c: forge({"alg": "NONE", "kid": "k1"}, c.claims, None),
    "alg-none-with-real-signature": lambda c: ".".join(
        [b64url(json.dumps({"alg": "none", "kid": "k1"}).encode()), *c.real.split(".")[1:]]),
    "other-kids-secret": lambda c: c.signed(secret=c.s1, kid="k2"),
    "hs512-with-real-key": lambda c: forge({"alg": "HS512", "kid": "k1"}, c.claims, c.s1,
                                           hashlib.sha512),
    "sub-swapped": lambda c: ".".join([c.real.split(".")[0],
                                       b64url(json.dumps({**c.claims,
                                                          "sub": c.victim_id}).encode()),
                                       c.real.split(".")[2]]),
    "signature-stripped": lambda c: c.real.rsplit(".", 1)[0] + ".",
    "signature-bitflip": lambda c: c.real[:-2] + ("A" if c.real[-2] != "A" else "B")
    + c.real[-1],
    "typ-refresh": lambda c: c.signed(typ="refresh"),
    "typ-missing": lambda c: c.signed(typ=DROP),
    "wrong-audience": lambda c: c.signed(aud="someone-else"),
    "wrong-issuer": lambda c: c.signed(iss="evil"),
    "exp-missing": lambda c: c.signed(exp=DROP),
    "exp-not-a-number": lambda c: c.signed(exp="tomorrow"),
    "exp-boolean": lambda c: c.signed(exp=True),
    "nbf-not-a-number": lambda c: c.signed(nbf=[1]),
    "nbf-far-future": lambda c: c.signed(nbf=c.claims["iat"] + 86400),
    "sub-not-a-string": lambda c: c.signed(sub=12345),
    "sub-unknown-user": lambda c: c.signed(sub="usr_aaaaaaaaaaaaaaaa"),
    "sub-with-nul": lambda c: c.signed(sub="usr_\x00"),
    "refresh-token-as-access": lambda c: c.refresh,
    "garbage": lambda c: "garbage",
    "three-empty-parts": lambda c: "..",
    "base64-noise": lambda c: "eyJ.eyJ.eyJ",
    "header-not-an-object": lambda c: f"{b64url(b'[1]')}.{c.real.split('.', 1)[1]}",
    "oversized": lambda c: c.real + "A" * 5000,
}


def _ctx(app_factory: Any) -> tuple[World, Ctx]:
    spec, s1, s2 = key_spec()
    app = app_factory(JWT_KEYS=spec)
    world = World(app, app.test_client())
    alice = world.register("alice")
    victim = world.register("victim")
    return world, Ctx(alice.token, parts(alice.token)[1], s1, s2, victim.user_id,
                      alice.refresh_token)


def test_forger_control_case_is_accepted(app_factory: Any) -> None:
    """Without a defect the hand-made tokens work, for either listed key."""
    world, ctx = _ctx(app_factory)
    assert me(world, ctx.signed()).get_json()["user"]["email"] == "alice@example.org"
    assert me(world, ctx.signed(secret=ctx.s2, kid="k2")).status_code == 200
    assert me(world, ctx.signed(sub=ctx.victim_id)).get_json()["user"]["email"] == \
        "victim@example.org"  # so "sub-swapped" fails only for want of a signature


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_or_malformed_access_token_is_401(app_factory: Any, name: str) -> None:
    world, ctx = _ctx(app_factory)
    assert_unauthorized(me(world, FORGERIES[name](ctx)))


@pytest.mark.parametrize("header", [
    "{token}", "Basic {token}", "Token {token}", "Bearer", "Bearer ", "Bearer  ", "JWT {token}",
])
def test_authorization_header_must_use_the_bearer_scheme(app: Flask, header: str) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    assert_unauthorized(me(world, Authorization=header.format(token=alice.token)))


def test_no_credentials_is_401(app: Flask) -> None:
    world = World(app, app.test_client())
    assert_unauthorized(me(world))


# ------------------------------------------------------------------------------- key rotation


def test_jwt_key_rotation(app_factory: Any, tmp_path: Path, backend: str) -> None:
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    first = app_factory(backend=backend, JWT_KEYS=f"old:{old}")
    url = first.config["DATABASE_URL"]
    world = World(first, first.test_client())
    alice = world.register("alice")
    old_token = alice.token
    rolled = make_app(tmp_path, url, JWT_KEYS=f"new:{new},old:{old}")
    retired = make_app(tmp_path, url, JWT_KEYS=f"new:{new}")
    try:
        rolled_world = World(rolled, rolled.test_client())
        # the old key, now listed second, still verifies what it signed
        assert me(rolled_world, old_token).status_code == 200
        rolled_world.login(alice)
        assert parts(alice.token)[0]["kid"] == "new"  # the first listed key signs
        assert me(rolled_world, alice.token).status_code == 200
        # a server that never heard of "new" refuses it; dropping "old" invalidates its tokens
        assert_unauthorized(me(world, alice.token))
        retired_world = World(retired, retired.test_client())
        assert_unauthorized(me(retired_world, old_token))
        assert me(retired_world, alice.token).status_code == 200
    finally:
        for extra in (rolled, retired):
            with extra.app_context():
                db.session.remove()
                db.engine.dispose()


# ------------------------------------------------------------------------------- refresh


def test_refresh_rotates_and_reuse_revokes_the_family(app_factory: Any, backend: str) -> None:
    app = app_factory(backend=backend)
    world = World(app, app.test_client())
    alice = world.register("alice")
    other_session = Actor("alice", alice.email)
    world.login(other_session)  # a second, independent session (family)
    first = alice.refresh_token

    rotated = refresh(world, first)
    assert rotated.status_code == 200
    pair = rotated.get_json()
    assert pair["refresh_token"] != first and pair["access_token"] != alice.token
    assert me(world, pair["access_token"]).get_json()["user"]["id"] == alice.user_id
    newest = refresh(world, pair["refresh_token"]).get_json()["refresh_token"]

    assert_unauthorized(refresh(world, first))  # reuse of a rotated-away token ...
    assert_unauthorized(refresh(world, newest))  # ... revokes the newest one too
    assert refresh(world, other_session.refresh_token).status_code == 200  # other family lives


def test_reusing_the_newest_token_twice_is_also_reuse(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    newer = refresh(world, alice.refresh_token).get_json()["refresh_token"]
    newest = refresh(world, newer).get_json()["refresh_token"]
    assert_unauthorized(refresh(world, newer))
    assert_unauthorized(refresh(world, newest))


def test_logout_revokes_the_session(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    rotated = refresh(world, alice.refresh_token).get_json()["refresh_token"]
    response = world.client.post("/api/v1/auth/logout", json={"refresh_token": rotated})
    assert response.status_code == 204
    assert_unauthorized(refresh(world, rotated))
    assert_unauthorized(world.client.post("/api/v1/auth/logout",
                                          json={"refresh_token": "elxr_unknown"}))


def test_logout_with_an_old_token_of_the_family_revokes_the_newest(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    newest = refresh(world, alice.refresh_token).get_json()["refresh_token"]
    world.client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token})
    assert_unauthorized(refresh(world, newest))


def test_expired_refresh_token_is_401(app_factory: Any) -> None:
    clock = FakeClock()
    app = app_factory(CLOCK=clock, REFRESH_TOKEN_TTL=3600)
    world = World(app, app.test_client())
    alice = world.register("alice")
    early = Actor("alice", alice.email)
    world.login(early)
    clock.advance(3599)
    assert refresh(world, early.refresh_token).status_code == 200
    clock.advance(1)
    assert_unauthorized(refresh(world, alice.refresh_token))


@pytest.mark.parametrize(("presented", "status"), [
    ("elxr_unknown", 401), ("elxr_", 401), ("", 422), ("x" * 201, 422), (None, 422), (7, 422),
    (["elxr_a"], 422), ({"token": "elxr_a"}, 422),
])
def test_malformed_refresh_requests(app: Flask, presented: Any, status: int) -> None:
    world = World(app, app.test_client())
    world.register("alice")
    response = refresh(world, presented)
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    if status == 422:
        assert "refresh_token" in response.get_json()["errors"]


def test_access_token_is_not_a_refresh_token(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    response = refresh(world, alice.token)
    assert response.status_code in (401, 422)
    assert "access_token" not in response.get_json()


def test_refresh_tokens_are_stored_only_as_hashes(app: Flask) -> None:
    world = World(app, app.test_client())
    alice = world.register("alice")
    with app.app_context():
        rows = db.session.scalars(db.select(RefreshToken)).all()
        assert len(rows) == 1
        values = [str(getattr(rows[0], c.key)) for c in RefreshToken.__table__.columns]
    secret = alice.refresh_token.removeprefix("elxr_")
    assert not any(secret in value for value in values)


def test_racing_refreshes_of_one_token_cannot_fork_the_session(
        app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two requests read the same refresh token before either commits (READ COMMITTED): the
    loser must be treated as reuse, not mint a second live branch. PostgreSQL only — SQLite
    serialises writers with BEGIN IMMEDIATE, so there the race cannot be staged in one thread."""
    from marketplace.accounts import sessions

    app = app_factory(backend="postgresql")
    world = World(app, app.test_client())
    alice = world.register("alice")
    real = sessions._find_refresh
    winner: list[Any] = []

    def racing(presented: str) -> Any:
        token = real(presented)  # the loser has read the token ...
        if not winner:
            winner.append(None)
            with app.app_context():  # ... when another request, in its own session, wins
                winner[0] = sessions.refresh(presented)
        return token

    monkeypatch.setattr(sessions, "_find_refresh", racing)
    assert_unauthorized(refresh(world, alice.refresh_token))
    monkeypatch.setattr(sessions, "_find_refresh", real)
    assert winner[0] is not None
    assert_unauthorized(refresh(world, winner[0].refresh_token))  # the family is revoked
