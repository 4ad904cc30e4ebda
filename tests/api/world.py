"""Build a small world through the real API: one person per role, organisations approved by the
operator. Used by the API, authorisation-matrix and walkthrough tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"


@dataclass
class Actor:
    name: str
    email: str
    user_id: str = ""
    token: str = ""
    refresh_token: str = ""
    org_id: str = ""
    api_key: str = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class World:
    app: Flask
    client: FlaskClient
    actors: dict[str, Actor] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    # -- thin API helpers ---------------------------------------------------------------
    def call(self, method: str, path: str, actor: Actor | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if actor is not None:
            headers.update(actor.headers())
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def ok(self, method: str, path: str, actor: Actor | None = None, status: int = 200,
           **kwargs: Any) -> Any:
        response = self.call(method, path, actor, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.get_json())
        return response.get_json()

    def register(self, name: str, email: str | None = None) -> Actor:
        actor = Actor(name, email or f"{name}@example.org")
        body = self.ok("POST", "/users", json={"email": actor.email, "display_name": name,
                                                "password": PASSWORD}, status=201)
        actor.user_id = body["id"]
        self.login(actor)
        self.actors[name] = actor
        return actor

    def login(self, actor: Actor) -> None:
        tokens = self.ok("POST", "/auth/token",
                         json={"email": actor.email, "password": PASSWORD})
        actor.token, actor.refresh_token = tokens["access_token"], tokens["refresh_token"]

    def org(self, founder: Actor, name: str, kind: str, approve: bool = True) -> str:
        org = self.ok("POST", "/organizations", founder,
                      json={"name": name, "kind": kind}, status=201)
        if approve:
            self.ok("POST", f"/organizations/{org['id']}/approve", self["operator"])
        founder.org_id = org["id"]
        return org["id"]

    def member(self, admin: Actor, org_id: str, name: str, role: str) -> Actor:
        actor = self.register(name)
        self.ok("POST", f"/organizations/{org_id}/members", admin,
                json={"email": actor.email, "role": role}, status=201)
        actor.org_id = org_id
        return actor


ASSET = {
    "title": "德阳市企业登记信息", "description": "Enterprise registry of Deyang",
    "domain": "enterprise", "source": "市场监管局", "collection_method": "administrative records",
    "update_frequency": "monthly", "time_coverage": {"start": "2020-01-01", "end": "2026-10-31"},
    "area_coverage": "德阳市", "contains_personal_info": True, "classification": "important",
    "tags": ["企业", "信用"],
}


def build_world(app: Flask) -> World:
    """operator, auditor, merchant (admin of merchant org A), member (org A), rival (admin of
    merchant org B), buyer, rival_buyer, assessor, outsider (no organisation), pending (founder of
    an unapproved merchant org)."""
    from marketplace.accounts.services import bootstrap_operator

    world = World(app, app.test_client())
    with app.app_context():
        operator_org = bootstrap_operator("operator@example.org", "operator", PASSWORD).id
    operator = Actor("operator", "operator@example.org", org_id=operator_org)
    world.login(operator)
    world.actors["operator"] = operator
    world.member(operator, operator_org, "auditor", "auditor")
    merchant = world.register("merchant")
    org_a = world.org(merchant, "德阳数据开发公司 A", "data_developer")
    world.member(merchant, org_a, "member", "merchant_member")
    rival = world.register("rival")
    world.org(rival, "竞争者数据公司 B", "resource_provider")
    buyer = world.register("buyer")
    world.org(buyer, "买方企业 Buyer", "buyer")
    rival_buyer = world.register("rival_buyer")
    world.org(rival_buyer, "另一买方 Buyer 2", "buyer")
    assessor = world.register("assessor")
    world.org(assessor, "评估机构 Valuers", "valuation_agency")
    world.register("outsider")
    pending = world.register("pending")
    world.org(pending, "未审核商户 Pending", "data_broker", approve=False)
    return world
