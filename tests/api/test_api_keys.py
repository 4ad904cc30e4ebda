"""API keys for buyers' programs: ``Authorization: Bearer elx_…`` or ``X-API-Key``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import ApiKey
from marketplace.clock import FakeClock
from marketplace.db import db
from tests.api.world import World, build_world

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    return body


def new_key(world: World, who: str = "buyer", **extra: Any) -> dict[str, Any]:
    body = {"org_id": world[who].org_id, "name": "nightly sync", **extra}
    return world.ok("POST", "/api-keys", world[who], json=body, status=201)


def me_with(world: World, key: str, style: str = "bearer") -> Any:
    headers = {"Authorization": f"Bearer {key}"} if style == "bearer" else {"X-API-Key": key}
    return world.client.get("/api/v1/me", headers=headers)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def test_secret_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    created = new_key(world)
    secret = created["key"]
    assert secret.startswith(f"elx_{created['id']}_")
    assert created["org_id"] == world["buyer"].org_id and created["revoked_at"] is None
    listing = world.call("GET", "/api-keys", world["buyer"])
    assert listing.status_code == 200
    assert [k["id"] for k in listing.get_json()["items"]] == [created["id"]]
    assert "key" not in listing.get_json()["items"][0]
    tail = secret.rsplit("_", 1)[1]
    assert tail not in listing.get_data(as_text=True)
    with world.app.app_context():
        row = db.session.get(ApiKey, created["id"])
        values = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert not any(tail in value or secret in value for value in values)


def test_default_lifetime_comes_from_the_configuration(world: World) -> None:
    created = new_key(world)
    lifetime = (datetime.fromisoformat(created["expires_at"])
                - datetime.fromisoformat(created["created_at"]))
    assert lifetime == timedelta(days=world.app.config["API_KEY_DEFAULT_TTL_DAYS"])


def test_only_buyers_of_an_approved_buyer_org_create_keys(world: World) -> None:
    for who, org_of in [
        ("merchant", "merchant"),  # a merchant organisation has no buyer role
        ("buyer", "rival_buyer"),  # another buyer's organisation
        ("buyer", "merchant"), ("operator", "buyer"), ("assessor", "assessor"),
        ("outsider", "buyer"), ("member", "merchant"),
    ]:
        body = {"org_id": world[org_of].org_id, "name": "k"}
        response = world.call("POST", "/api-keys", world[who], json=body)
        assert response.status_code == 403, (who, org_of)
        assert_problem(response, 403)
    with world.app.app_context():
        assert db.session.scalars(select(ApiKey)).all() == []


def test_pending_buyer_org_cannot_create_keys(world: World) -> None:
    outsider = world["outsider"]
    org_id = world.org(outsider, "Pending Buyer", "buyer", approve=False)
    assert_problem(world.call("POST", "/api-keys", outsider,
                              json={"org_id": org_id, "name": "k"}), 403)


def test_anonymous_cannot_create_keys(world: World) -> None:
    assert_problem(world.call("POST", "/api-keys",
                              json={"org_id": world["buyer"].org_id, "name": "k"}), 401)


def test_key_request_is_validated(world: World) -> None:
    for extra, field in [
        ({"ttl_days": "30"}, "ttl_days"), ({"ttl_days": True}, "ttl_days"),
        ({"ttl_days": 1.5}, "ttl_days"), ({"ttl_days": 0}, "ttl_days"),
        ({"ttl_days": 3651}, "ttl_days"), ({"name": ""}, "name"), ({"name": " "}, "name"),
        ({"name": 7}, "name"), ({"name": "tab\tname"}, "name"), ({"org_id": None}, "org_id"),
        ({"scopes": ["all"]}, "scopes"),
    ]:
        body = {"org_id": world["buyer"].org_id, "name": "k", **extra}
        response = world.call("POST", "/api-keys", world["buyer"], json=body)
        assert response.status_code == 422, extra
        assert field in assert_problem(response, 422)["errors"]


def test_key_authenticates_me_both_ways(app_factory: Any, backend: str) -> None:
    world = build_world(app_factory(backend=backend))
    key = new_key(world)
    for style in ("bearer", "x-api-key"):
        response = me_with(world, key["key"], style)
        assert response.status_code == 200
        body = response.get_json()
        assert body["api_key_id"] == key["id"]
        assert body["user"]["id"] == world["buyer"].user_id
        assert [m["org_id"] for m in body["memberships"]] == [world["buyer"].org_id]


def test_key_sees_only_its_own_organisation(world: World) -> None:
    buyer = world["buyer"]
    world.org(buyer, "Buyer's second org", "buyer")
    key = new_key(world)
    memberships = me_with(world, key["key"]).get_json()["memberships"]
    assert len(world.ok("GET", "/me", buyer)["memberships"]) == 2
    assert [m["org_id"] for m in memberships] == [key["org_id"]]


def test_revoked_key_fails_on_the_very_next_call(world: World) -> None:
    key = new_key(world)
    assert me_with(world, key["key"]).status_code == 200
    revoked = world.call("DELETE", f"/api-keys/{key['id']}", world["buyer"])
    assert revoked.status_code == 204
    for style in ("bearer", "x-api-key"):
        assert_problem(me_with(world, key["key"], style), 401)
    again = world.call("DELETE", f"/api-keys/{key['id']}", world["buyer"])
    assert again.status_code == 204  # idempotent
    listed = world.ok("GET", "/api-keys", world["buyer"])["items"]
    assert listed[0]["revoked_at"] is not None


def test_expired_key_is_401(app_factory: Any) -> None:
    clock = FakeClock()
    world = build_world(app_factory(CLOCK=clock, ACCESS_TOKEN_TTL=10**7))
    key = new_key(world, ttl_days=1)
    clock.advance(86400 - 1)
    assert me_with(world, key["key"]).status_code == 200
    clock.advance(1)
    assert_problem(me_with(world, key["key"]), 401)
    assert_problem(me_with(world, key["key"], "x-api-key"), 401)


def _tamperings(secret: str, other: str) -> dict[str, str]:
    prefix, tail = secret.rsplit("_", 1)
    flipped = tail[:-1] + ("A" if tail[-1] != "A" else "B")
    return {
        "flipped-last-char": f"{prefix}_{flipped}",
        "truncated": secret[:-1],
        "extended": secret + "A",
        "other-keys-id": f"{other.rsplit('_', 1)[0]}_{tail}",
        "other-keys-secret": f"{prefix}_{other.rsplit('_', 1)[1]}",
        "no-secret": prefix,
        "no-prefix": secret.removeprefix("elx_"),
        "upper-case": secret.upper(),
        "nul-in-id": secret.replace("key_", "key_\x00", 1),
        "nul-in-secret": f"{prefix}_{tail[:-1]}\x00",
        "huge": secret + "A" * 4000,
        "just-prefix": "elx_",
    }


def test_tampered_key_is_401(app_factory: Any, backend: str) -> None:
    world = build_world(app_factory(backend=backend))
    key = new_key(world)["key"]
    other = new_key(world, "rival_buyer")["key"]
    for name, forged in _tamperings(key, other).items():
        for style in ("bearer", "x-api-key"):
            response = me_with(world, forged, style)
            assert response.status_code == 401, (name, style)
            assert_problem(response, 401)
    assert me_with(world, key).status_code == 200  # the genuine key still works


PERSON_ONLY: list[tuple[str, str, dict[str, str] | None]] = [
    ("POST", "/organizations", {"name": "Key-made org", "kind": "buyer"}),
    ("POST", "/api-keys", {"org_id": "{org}", "name": "child key"}),
    ("GET", "/api-keys", None),
    ("DELETE", "/api-keys/{key}", None),
    ("GET", "/organizations/{org}", None),
    ("POST", "/organizations/{org}/members", {"email": "rival@example.org", "role": "buyer"}),
]


def test_api_key_cannot_do_person_only_actions(world: World) -> None:
    key = new_key(world)
    fill = {"org": world["buyer"].org_id, "key": key["id"]}
    for method, path, body in PERSON_ONLY:
        data = {k: v.format(**fill) for k, v in body.items()} if body else None
        response = world.client.open(f"/api/v1{path.format(**fill)}", method=method, json=data,
                                     headers={"Authorization": f"Bearer {key['key']}"})
        assert response.status_code == 403, (method, path)
        assert_problem(response, 403)
    assert me_with(world, key["key"]).status_code == 200  # not revoked by the attempts
    assert len(world.ok("GET", "/api-keys", world["buyer"])["items"]) == 1
    assert len(world.ok("GET", "/me", world["buyer"])["memberships"]) == 1


def test_revoking_someone_elses_key_is_404(world: World) -> None:
    key = new_key(world)
    for who in ("rival_buyer", "merchant", "outsider"):
        hidden = assert_problem(world.call("DELETE", f"/api-keys/{key['id']}", world[who]), 404)
        missing = assert_problem(world.call("DELETE", "/api-keys/key_aaaaaaaaaaaaaaaa",
                                            world[who]), 404)
        assert hidden == missing
    assert me_with(world, key["key"]).status_code == 200
    assert_problem(world.call("DELETE", f"/api-keys/{key['id']}"), 401)


def test_lists_show_only_own_organisations_keys(world: World) -> None:
    mine = new_key(world)
    new_key(world, "rival_buyer")
    assert [k["id"] for k in world.ok("GET", "/api-keys", world["buyer"])["items"]] == \
        [mine["id"]]
    assert world.ok("GET", "/api-keys", world["outsider"])["items"] == []
