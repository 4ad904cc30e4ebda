"""Every route × every kind of caller → the expected status (issue 3, item 3).

The table below must name every route the app serves (the test enumerates ``url_map``), and every
view must declare its authorisation action. Callers include members of *another* organisation of
the same kind (``rival`` merchant, ``rival_buyer``), a pending organisation's founder, a person
with no organisation and a buyer's program using an API key.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.world import ASSET, World, build_world

ROLES = ["anonymous", "operator", "auditor", "merchant", "member", "rival", "buyer",
         "rival_buyer", "assessor", "outsider", "pending", "buyer_key"]
PEOPLE = [r for r in ROLES if r not in ("anonymous", "buyer_key")]
_counter = itertools.count()


def _all(status: int, anonymous: int | None = None, key: int | None = None) -> dict[str, int]:
    table = dict.fromkeys(ROLES, status)
    if anonymous is not None:
        table["anonymous"] = anonymous
    if key is not None:
        table["buyer_key"] = key
    return table


def _only(allowed: dict[str, int], others: int, hidden: tuple[str, ...] = ()) -> dict[str, int]:
    table = {r: others for r in PEOPLE}
    table.update(dict.fromkeys(hidden, 404))
    table.update(allowed)
    table["anonymous"] = 401
    table["buyer_key"] = 403
    return table


OUTSIDERS_OF_A = ("rival", "buyer", "rival_buyer", "assessor", "outsider", "pending")
ASSET_READ = _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200}, 403,
                   hidden=OUTSIDERS_OF_A)


def _csv() -> dict[str, Any]:
    return {"data": "企业名称,注册资本\n德阳甲公司,100\n德阳乙公司,200\n".encode(),
            "content_type": "text/csv"}


# (method, rule) → (expected status per role, request builder)
Builder = Callable[[World, str], dict[str, Any]]
EXPECTED: dict[tuple[str, str], tuple[dict[str, int], Builder]] = {
    ("GET", "/api/v1/health"): (_all(200), lambda w, r: {}),
    ("POST", "/api/v1/users"): (_all(201), lambda w, r: {"json": {
        "email": f"new{next(_counter)}@example.org", "display_name": "n",
        "password": "long enough password"}}),
    ("POST", "/api/v1/auth/token"): (_all(200), lambda w, r: {"json": {
        "email": w["merchant"].email, "password": "correct horse battery staple"}}),
    ("POST", "/api/v1/auth/refresh"): (_all(200), lambda w, r: {"json": {
        "refresh_token": _fresh_refresh(w)}}),
    ("POST", "/api/v1/auth/logout"): (_all(204), lambda w, r: {"json": {
        "refresh_token": _fresh_refresh(w)}}),
    ("GET", "/api/v1/me"): (_all(200, anonymous=401), lambda w, r: {}),
    ("POST", "/api/v1/organizations"): (
        _all(201, anonymous=401, key=403),
        lambda w, r: {"json": {"name": f"org {next(_counter)}", "kind": "data_broker"}}),
    ("GET", "/api/v1/organizations/<org_id>"): (
        _only({"operator": 200, "auditor": 200, "merchant": 200, "member": 200}, 403,
              hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"org_id": w["merchant"].org_id}}),
    ("POST", "/api/v1/organizations/<org_id>/approve"): (
        _only({"operator": 200}, 403),
        lambda w, r: {"path": {"org_id": w["pending"].org_id}}),
    ("POST", "/api/v1/organizations/<org_id>/members"): (
        _only({"merchant": 201}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"org_id": w["merchant"].org_id}, "json": {
            "email": w.register(f"u{next(_counter)}").email, "role": "merchant_member"}}),
    ("POST", "/api/v1/api-keys"): (
        _only({"buyer": 201}, 403),
        lambda w, r: {"json": {"org_id": w["buyer"].org_id, "name": "k"}}),
    ("GET", "/api/v1/api-keys"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("DELETE", "/api/v1/api-keys/<key_id>"): (
        _only({"buyer": 204}, 404),
        lambda w, r: {"path": {"key_id": w.key_id}}),
    ("POST", "/api/v1/assets"): (
        _only({"merchant": 201, "member": 201}, 403),
        lambda w, r: {"json": {**ASSET, "owner_org_id": w["merchant"].org_id}}),
    ("GET", "/api/v1/assets"): (_all(200, anonymous=401, key=403), lambda w, r: {}),
    ("GET", "/api/v1/assets/<asset_id>"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("GET", "/api/v1/assets/<asset_id>/versions"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("POST", "/api/v1/assets/<asset_id>/versions"): (
        _only({"merchant": 201, "member": 201}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"asset_id": w.asset_id}, **_csv()}),
    ("GET", "/api/v1/assets/<asset_id>/certificate"): (ASSET_READ, lambda w, r: {
        "path": {"asset_id": w.asset_id}}),
    ("POST", "/api/v1/elements"): (
        _only({"merchant": 201, "member": 201}, 403),
        lambda w, r: {"json": {"spec": _spec(w)}}),
    ("GET", "/api/v1/jobs/<job_id>"): (ASSET_READ, lambda w, r: {
        "path": {"job_id": _job(w, fresh=False)}}),
    ("POST", "/api/v1/jobs/<job_id>/cancel"): (
        _only({"merchant": 200, "member": 200}, 403, hidden=OUTSIDERS_OF_A),
        lambda w, r: {"path": {"job_id": _job(w, fresh=True)}}),
    ("GET", "/api/v1/elements/<element_id>"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/versions"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/quality"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/elements/<element_id>/sample"): (ASSET_READ, lambda w, r: {
        "path": {"element_id": _element(w)}}),
    ("GET", "/api/v1/ledger/checkpoint"): (_all(200), lambda w, r: {}),
    ("GET", "/api/v1/ledger/entries/<int:index>"): (_all(200), lambda w, r: {
        "path": {"index": 0}}),
    ("GET", "/api/v1/ledger/receipts/<int:index>"): (_all(200), lambda w, r: {
        "path": {"index": 0}}),
    ("GET", "/api/v1/ledger/proofs/inclusion"): (_all(200), lambda w, r: {
        "query": "index=0&tree_size=1"}),
    ("GET", "/api/v1/ledger/proofs/consistency"): (_all(200), lambda w, r: {
        "query": "first=1&second=2"}),
    ("GET", "/api/v1/ledger/public-keys"): (_all(200), lambda w, r: {}),
    ("GET", "/api/v1/ledger/export"): (_all(200), lambda w, r: {}),
    # --- valuations (issue 5) ---
    # --- end valuations ---
    # --- listings and catalog (issue 5) ---
    # --- end listings ---
    # --- orders and licenses (issue 5) ---
    # --- end orders ---
}


def _fresh_refresh(world: World) -> str:
    tokens = world.ok("POST", "/auth/token", json={
        "email": world["outsider"].email, "password": "correct horse battery staple"})
    return tokens["refresh_token"]


def _spec(world: World) -> dict[str, Any]:
    """The smallest pipeline: the uploaded version as it is."""
    return {"format": "elx-pipeline/v1", "steps": [], "element": {"title": "企业注册资本"},
            "inputs": [{"alias": "t", "version_id": world.version_id}]}  # type: ignore[attr-defined]


def _job(world: World, fresh: bool) -> str:
    """A queued build job of org A (a new one per call when the call may change it)."""
    if fresh or not hasattr(world, "job_id"):
        job = world.ok("POST", "/elements", world["merchant"], json={"spec": _spec(world)},
                       status=201)
        world.job_id = job["id"]  # type: ignore[attr-defined]
    return world.job_id  # type: ignore[attr-defined]


def _element(world: World) -> str:
    """An element of org A, built once per test by running its job."""
    if not hasattr(world, "element_id"):
        from marketplace.jobs.worker import run_pending

        job_id = _job(world, fresh=True)
        run_pending(world.app)
        job = world.ok("GET", f"/jobs/{job_id}", world["merchant"])
        assert job["state"] == "succeeded", job["error"]
        world.element_id = job["result"]["element_id"]  # type: ignore[attr-defined]
    return world.element_id  # type: ignore[attr-defined]


def _routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_is_in_the_matrix(app: Any) -> None:
    assert _routes(app) == set(EXPECTED), "routes and the authorisation matrix differ"


def test_every_view_declares_its_action(app: Any) -> None:
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint != "static"
               and not hasattr(app.view_functions[rule.endpoint], "elx_action")]
    assert missing == []


def _prepare(world: World) -> None:
    merchant = world["merchant"]
    asset = world.ok("POST", "/assets", merchant, json=ASSET, status=201)
    world.asset_id = asset["id"]  # type: ignore[attr-defined]
    version = world.ok("POST", f"/assets/{asset['id']}/versions", merchant, status=201, **_csv())
    world.version_id = version["id"]  # type: ignore[attr-defined]
    buyer = world["buyer"]
    key = world.ok("POST", "/api-keys", buyer, json={"org_id": buyer.org_id, "name": "prog"},
                   status=201)
    world.key_id = key["id"]  # type: ignore[attr-defined]
    world.actors["buyer_key"] = type(buyer)("buyer_key", buyer.email, token=key["key"])
    world.actors["anonymous"] = type(buyer)("anonymous", "")


def _order(expected: dict[str, int]) -> list[str]:
    """Denied callers first, so a permitted mutation cannot change what they see."""
    return sorted(ROLES, key=lambda r: 200 <= expected[r] < 300)


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_as_every_role(app: Any, route: tuple[str, str]) -> None:
    world = build_world(app)
    _prepare(world)
    expected, build = EXPECTED[route]
    method, rule = route
    got = {}
    for role in _order(expected):
        spec = build(world, role)
        path = rule
        for name, value in spec.pop("path", {}).items():
            path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
        if query := spec.pop("query", None):
            path = f"{path}?{query}"
        if "data" in spec and isinstance(spec["data"], bytes):
            spec["data"] = io.BytesIO(spec["data"]).read()
        response = world.call(method, path.removeprefix("/api/v1"), world[role], **spec)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (role, response.data)
    assert got == expected
