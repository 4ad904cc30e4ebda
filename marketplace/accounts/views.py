"""Identity routes: users, tokens, organisations, memberships, API keys."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from marketplace.accounts import schemas, services
from marketplace.auth import current_principal
from marketplace.authz import action, public
from marketplace.http import json_body, load

bp = Blueprint("accounts", __name__)


def _client() -> str:
    return (request.remote_addr or "unknown")[:64]


def _tokens(pair: services.TokenPair):  # type: ignore[no-untyped-def]
    return jsonify(access_token=pair.access_token, refresh_token=pair.refresh_token,
                   token_type="Bearer", expires_in=pair.expires_in)  # noqa: S106


@bp.post("/users")
@public("user.register")
def register():  # type: ignore[no-untyped-def]
    data = load(schemas.RegisterIn(), json_body())
    user = services.register_user(**data)
    return schemas.UserOut().dump(user), 201


@bp.post("/auth/token")
@public("auth.token")
def token():  # type: ignore[no-untyped-def]
    data = load(schemas.TokenIn(), json_body())
    return _tokens(services.login(data["email"], data["password"], _client()))


@bp.post("/auth/refresh")
@public("auth.refresh")
def refresh():  # type: ignore[no-untyped-def]
    data = load(schemas.RefreshIn(), json_body())
    return _tokens(services.refresh(data["refresh_token"]))


@bp.post("/auth/logout")
@public("auth.logout")
def logout():  # type: ignore[no-untyped-def]
    data = load(schemas.RefreshIn(), json_body())
    services.logout(data["refresh_token"])
    return "", 204


@bp.get("/me")
@action("me.read")
def me():  # type: ignore[no-untyped-def]
    info = services.me(current_principal())
    return {
        "user": schemas.UserOut().dump(info["user"]),
        "memberships": schemas.MembershipOut(many=True).dump(info["memberships"]),
        "api_key_id": info["api_key_id"],
    }


@bp.post("/organizations")
@action("organization.create")
def create_organization():  # type: ignore[no-untyped-def]
    data = load(schemas.OrganizationIn(), json_body())
    org = services.create_organization(current_principal(), **data)
    return schemas.OrganizationOut().dump(org), 201


@bp.get("/organizations/<org_id>")
@action("organization.read")
def get_organization(org_id: str):  # type: ignore[no-untyped-def]
    return schemas.OrganizationOut().dump(services.get_organization(current_principal(), org_id))


@bp.post("/organizations/<org_id>/approve")
@action("organization.approve")
def approve_organization(org_id: str):  # type: ignore[no-untyped-def]
    json_body(optional=True)
    org = services.approve_organization(current_principal(), org_id)
    return schemas.OrganizationOut().dump(org)


@bp.post("/organizations/<org_id>/members")
@action("organization.member.add")
def add_member(org_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.MemberIn(), json_body())
    membership = services.add_member(current_principal(), org_id, **data)
    return schemas.MemberOut().dump(membership), 201


@bp.post("/api-keys")
@action("api_key.create")
def create_api_key():  # type: ignore[no-untyped-def]
    data = load(schemas.ApiKeyIn(), json_body())
    key, secret = services.create_api_key(current_principal(), **data)
    body = schemas.ApiKeyOut().dump(key)
    body["key"] = secret  # shown once; only its hash is stored
    return body, 201


@bp.get("/api-keys")
@action("api_key.list")
def list_api_keys():  # type: ignore[no-untyped-def]
    keys = services.list_api_keys(current_principal())
    return {"items": schemas.ApiKeyOut(many=True).dump(keys)}


@bp.delete("/api-keys/<key_id>")
@action("api_key.revoke")
def revoke_api_key(key_id: str):  # type: ignore[no-untyped-def]
    services.revoke_api_key(current_principal(), key_id)
    return "", 204
