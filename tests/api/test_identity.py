"""Registration and organisations through the HTTP API (DESIGN.md "Users and roles")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import Membership, Organization, User
from marketplace.accounts.passwords import verify_password
from marketplace.db import db
from tests.api.world import ASSET, PASSWORD, World, build_world

PROBLEM = "application/problem+json"


def post_user(world: World, body: Any, raw: bool = False) -> Any:
    if raw:  # stdlib JSON (ASCII escapes) so lone surrogates survive the encoding
        return world.client.post("/api/v1/users", data=json.dumps(body),
                                 content_type="application/json")
    return world.client.post("/api/v1/users", json=body)


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    return body


def good(**changes: Any) -> dict[str, Any]:
    body = {"email": "alice@example.org", "display_name": "Alice", "password": PASSWORD}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# ------------------------------------------------------------------------------- registration


def test_register_returns_the_user_and_never_the_password(app: Flask) -> None:
    world = World(app, app.test_client())
    response = post_user(world, good(email="Alice@Example.ORG"))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "email", "display_name", "created_at"}
    assert body["email"] == "alice@example.org" and body["id"].startswith("usr_")


@pytest.mark.parametrize("again", ["alice@example.org", "ALICE@EXAMPLE.ORG",
                                   "Alice@example.org"])
def test_duplicate_email_is_409_case_insensitively(app: Flask, again: str) -> None:
    world = World(app, app.test_client())
    assert post_user(world, good()).status_code == 201
    assert_problem(post_user(world, good(email=again, display_name="Mallory",
                                         password="a different passphrase")), 409)
    assert user_count(app) == 1


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("short-password", good(password="short"), "password"),
    ("oversize-password", good(password="x1" * 513), "password"),
    ("common-password", good(password="Password123"), "password"),
    ("repetitive-password", good(password="abababababab"), "password"),
    ("password-is-the-email", good(password="alice@example.org"), "password"),
    ("bad-email", good(email="not-an-email"), "email"),
    ("email-double-at", good(email="alice@@example.org"), "email"),
    ("email-with-newline", good(email="alice@example.org\n"), "email"),
    ("email-too-long", good(email="a" * 250 + "@example.org"), "email"),
    ("unknown-field", good(is_admin=True), "is_admin"),
    ("number-for-email", good(email=12345), "email"),
    ("bool-for-display-name", good(display_name=True), "display_name"),
    ("list-for-password", good(password=[PASSWORD]), "password"),
    ("object-for-password", good(password={"value": PASSWORD}), "password"),
    ("null-email", good(email=None), "email"),
    ("missing-password", good(password=...), "password"),
    ("blank-display-name", good(display_name="   "), "display_name"),
    ("display-name-too-long", good(display_name="名" * 121), "display_name"),
    ("display-name-with-nul", good(display_name="Al\x00ice"), "display_name"),
    ("display-name-with-newline", good(display_name="Alice\nAdmin"), "display_name"),
    ("display-name-lone-surrogate", good(display_name="Al\ud800ice"), "display_name"),
    ("password-lone-surrogate", good(password=PASSWORD + "\udfff"), "password"),
    ("password-with-nul", good(password=PASSWORD + "\x00"), "password"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _n, b, f in INVALID],
                         ids=[n for n, _b, _f in INVALID])
def test_invalid_registration_is_422_per_field(app: Flask, body: dict[str, Any],
                                               field: str) -> None:
    world = World(app, app.test_client())
    problem = assert_problem(post_user(world, body, raw=True), 422)
    assert field in problem["errors"], problem
    assert all(isinstance(m, str) for m in problem["errors"][field])
    assert user_count(app) == 0


def test_every_bad_field_is_reported_at_once(app: Flask) -> None:
    world = World(app, app.test_client())
    problem = assert_problem(post_user(world, {"email": 5, "display_name": False,
                                               "password": None, "role": "admin"}), 422)
    assert set(problem["errors"]) == {"email", "display_name", "password", "role"}


def test_password_is_stored_as_salted_scrypt(app: Flask) -> None:
    world = World(app, app.test_client())
    for name in ("alice", "bob"):
        assert post_user(world, good(email=f"{name}@example.org")).status_code == 201
    with app.app_context():
        hashes = list(db.session.scalars(select(User.password_hash).order_by(User.email)))
    assert len(hashes) == 2 and hashes[0] != hashes[1]  # same password, different salts
    for stored in hashes:
        assert stored.startswith(f"scrypt${app.config['SCRYPT_N'].bit_length() - 1}$")
        assert PASSWORD not in stored
        assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "!", stored)


def test_email_that_grows_when_lower_cased_is_422_not_a_crash(app_factory: Any,
                                                              backend: str) -> None:
    app = app_factory(backend=backend)
    world = World(app, app.test_client())
    email = "İ" * 240 + "@example.org"  # 252 characters; lower-cased, 492
    problem = assert_problem(post_user(world, good(email=email)), 422)
    assert "email" in problem["errors"]
    assert_problem(world.client.post("/api/v1/auth/token",
                                     json={"email": email, "password": PASSWORD}), 401)
    assert user_count(app) == 0


def test_display_name_is_trimmed_and_unicode_kept(app: Flask) -> None:
    world = World(app, app.test_client())
    body = post_user(world, good(display_name="  德阳数据 Alice  ")).get_json()
    assert body["display_name"] == "德阳数据 Alice"


# ------------------------------------------------------------------------------- organisations


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def test_pending_organisation_cannot_act_until_approved(world: World) -> None:
    pending = world["pending"]
    org = world.ok("GET", f"/organizations/{pending.org_id}", pending)
    assert org["status"] == "pending"
    asset = {**ASSET, "owner_org_id": pending.org_id}
    assert_problem(world.call("POST", "/assets", pending, json=asset), 403)
    world.ok("POST", f"/organizations/{pending.org_id}/approve", world["operator"])
    created = world.ok("POST", "/assets", pending, json=asset, status=201)
    assert created["owner_org_id"] == pending.org_id


def test_only_an_operator_admin_approves(world: World) -> None:
    org_id = world["pending"].org_id
    for who in ("buyer", "merchant", "member", "auditor", "assessor", "pending", "outsider"):
        response = world.call("POST", f"/organizations/{org_id}/approve", world[who])
        assert response.status_code == 403, who
        assert_problem(response, 403)
    with world.app.app_context():
        assert db.session.get(Organization, org_id).status.value == "pending"


def test_approval_is_once(world: World) -> None:
    org_id = world["pending"].org_id
    body = world.ok("POST", f"/organizations/{org_id}/approve", world["operator"])
    assert body["status"] == "approved" and body["approved_at"]
    assert_problem(world.call("POST", f"/organizations/{org_id}/approve", world["operator"]),
                   409)
    assert_problem(world.call("POST", "/organizations/org_aaaaaaaaaaaaaaaa/approve",
                              world["operator"]), 404)
    assert_problem(world.call("POST", "/organizations/org_%E2%80%AEaaaaaaaaaaaaaa/approve",
                              world["operator"]), 404)  # malformed ids never reach the database


def test_approve_needs_credentials(world: World) -> None:
    assert_problem(world.call("POST", f"/organizations/{world['pending'].org_id}/approve"), 401)


ORG_INVALID: list[tuple[dict[str, Any], str]] = [
    ({"name": "Shadow operator", "kind": "operator"}, "kind"),
    ({"name": "Odd", "kind": "pirate"}, "kind"),
    ({"name": "Odd", "kind": 3}, "kind"),
    ({"name": "X", "kind": "buyer"}, "name"),
    ({"name": "  \t ", "kind": "buyer"}, "name"),
    ({"name": "Nul\x00Corp", "kind": "buyer"}, "name"),
    ({"name": ["A list"], "kind": "buyer"}, "name"),
    ({"name": "Fine name", "kind": "buyer", "credit_code": "91510600MA6XXXXX1I"}, "credit_code"),
    ({"name": "Fine name", "kind": "buyer", "credit_code": 915106}, "credit_code"),
    ({"name": "Fine name", "kind": "buyer", "owner": "me"}, "owner"),
    ({"name": "Fine name", "kind": "buyer", "status": "approved"}, "status"),
]


def test_organisation_input_is_validated(world: World) -> None:
    outsider = world["outsider"]
    for body, field in ORG_INVALID:
        problem = assert_problem(world.call("POST", "/organizations", outsider, json=body), 422)
        assert field in problem["errors"], (body, problem)
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization).where(
            Organization.created_by == outsider.user_id)) == 0


def test_new_organisation_is_pending_and_its_founder_owns_it(world: World) -> None:
    outsider = world["outsider"]
    org = world.ok("POST", "/organizations", outsider, status=201,
                   json={"name": "新数商 Newco", "kind": "resource_provider",
                         "credit_code": "91510600MA6ABCDE12"})
    assert org["status"] == "pending" and org["approved_at"] is None
    mine = world.ok("GET", "/me", outsider)["memberships"]
    assert mine == [{"org_id": org["id"], "org_kind": "resource_provider",
                     "org_status": "pending", "role": "merchant_admin", "is_owner": True}]
    assert_problem(world.call("POST", "/organizations", world["buyer"],
                              json={"name": "新数商 Newco", "kind": "buyer"}), 409)


def test_anonymous_cannot_create_an_organisation(world: World) -> None:
    assert_problem(world.call("POST", "/organizations", json={"name": "Anon", "kind": "buyer"}),
                   401)


def test_organisation_visibility(world: World) -> None:
    org_a = world["merchant"].org_id
    for who in ("merchant", "member", "operator", "auditor"):
        body = world.ok("GET", f"/organizations/{org_a}", world[who])
        assert body["id"] == org_a and body["status"] == "approved", who
    for who in ("rival", "buyer", "outsider", "pending", "assessor"):
        hidden = world.call("GET", f"/organizations/{org_a}", world[who])
        missing = world.call("GET", "/organizations/org_aaaaaaaaaaaaaaaa", world[who])
        assert hidden.status_code == 404, who
        assert assert_problem(hidden, 404) == assert_problem(missing, 404)  # no oracle


def test_reading_an_organisation_needs_credentials(world: World) -> None:
    assert_problem(world.call("GET", f"/organizations/{world['merchant'].org_id}"), 401)
    assert_problem(world.call("GET", "/organizations/org_aaaaaaaaaaaaaaaa"), 401)


# ------------------------------------------------------------------------------- members


def members(world: World, org_id: str) -> list[tuple[str, str]]:
    with world.app.app_context():
        rows = db.session.execute(select(User.email, Membership.role).join(Membership).where(
            Membership.org_id == org_id).order_by(User.email)).all()
    return [(email, role.value) for email, role in rows]


def test_owner_adds_a_member_with_a_fitting_role(world: World) -> None:
    newbie = world.register("newbie")
    org_id = world["merchant"].org_id
    body = world.ok("POST", f"/organizations/{org_id}/members", world["merchant"], status=201,
                    json={"email": "NewBie@Example.org", "role": "merchant_admin"})
    assert body["user_id"] == newbie.user_id and body["is_owner"] is False
    assert ("newbie@example.org", "merchant_admin") in members(world, org_id)
    # a (non-owner) merchant admin may add members too
    world.register("second")
    world.ok("POST", f"/organizations/{org_id}/members", newbie, status=201,
             json={"email": "second@example.org", "role": "merchant_member"})


def test_member_role_must_fit_the_kind(world: World) -> None:
    world.register("newbie")
    for org, role in [("merchant", "buyer"), ("merchant", "operator_admin"),
                      ("merchant", "assessor"), ("buyer", "merchant_admin"), ("buyer", "auditor"),
                      ("assessor", "buyer"), ("operator", "merchant_member"),
                      ("merchant", "root"), ("merchant", None)]:
        org_id = world[org].org_id
        before = members(world, org_id)
        response = world.call("POST", f"/organizations/{org_id}/members", world[org],
                              json={"email": "newbie@example.org", "role": role})
        assert response.status_code == 422, (org, role)
        assert "role" in assert_problem(response, 422)["errors"]
        assert members(world, org_id) == before


def test_only_owner_or_admin_adds_members(world: World) -> None:
    world.register("newbie")
    org_id = world["merchant"].org_id
    before = members(world, org_id)
    body = {"email": "newbie@example.org", "role": "merchant_member"}
    for who, status in [("member", 403), ("operator", 403), ("auditor", 403),  # see, not add
                        ("rival", 404), ("buyer", 404), ("outsider", 404)]:  # cannot even see
        response = world.call("POST", f"/organizations/{org_id}/members", world[who], json=body)
        assert response.status_code == status, who
        assert_problem(response, status)
    assert_problem(world.call("POST", f"/organizations/{org_id}/members", json=body), 401)
    assert members(world, org_id) == before


def test_duplicate_member_is_409_and_unknown_email_is_422(world: World) -> None:
    org_id = world["merchant"].org_id
    assert_problem(world.call("POST", f"/organizations/{org_id}/members", world["merchant"],
                              json={"email": "MEMBER@example.org", "role": "merchant_admin"}),
                   409)
    problem = assert_problem(world.call("POST", f"/organizations/{org_id}/members",
                                        world["merchant"],
                                        json={"email": "ghost@example.org",
                                              "role": "merchant_member"}), 422)
    assert "email" in problem["errors"]


def test_operator_admin_adds_an_auditor_to_the_operator(world: World) -> None:
    world.register("newbie")
    operator = world["operator"]
    world.ok("POST", f"/organizations/{operator.org_id}/members", operator, status=201,
             json={"email": "newbie@example.org", "role": "auditor"})
    assert ("newbie@example.org", "auditor") in members(world, operator.org_id)
