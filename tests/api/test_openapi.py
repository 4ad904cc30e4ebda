"""``openapi.yaml`` is the exact contract (DESIGN.md "HTTP API"): it is valid OpenAPI 3.1, names
every route the app serves and no other, agrees with each view's declared authorisation action,
and every response of a real round trip through the API validates against it
(``tests/openapi_validation.py``, openapi-core). The validator itself is shown to reject
responses and requests that break the contract, so it cannot silently be a no-op.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, jsonify
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from openapi_spec_validator.readers import read_from_filename
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, TestResponse

from marketplace.authz import PUBLIC_ACTIONS, RULES
from tests.api.access_world import exercise_routes as exercise_access
from tests.api.listing_world import exercise_routes as exercise_listings
from tests.api.payment_world import exercise_routes as exercise_payments
from tests.api.test_elements import exercise_routes as exercise_elements
from tests.api.test_orders import exercise_routes as exercise_orders
from tests.api.valuation_world import exercise_routes as exercise_valuations
from tests.api.world import ASSET, World, build_world
from tests.openapi_validation import PREFIX, SPEC_PATH, ValidatingClient, install, validate

METHODS = ("get", "put", "post", "delete", "patch")
API_KEY_SCHEMES = {"apiKeyBearer", "apiKeyHeader"}
CSV = "企业名称,注册资本\n德阳甲公司,100\n德阳乙公司,200\n".encode()


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data, _ = read_from_filename(str(SPEC_PATH))
    return data


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


RULE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # Werkzeug <converter(args):name>


def openapi_path(rule: str) -> str:
    """``/api/v1/ledger/entries/<int:index>`` -> ``/ledger/entries/{index}``."""
    return RULE_PARAM.sub(r"{\2}", rule).removeprefix(PREFIX)


# ----------------------------------------------------------------------------- the document


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    validate_spec(spec)  # raises OpenAPIValidationError on any structural or $ref error
    assert spec["openapi"].startswith("3.1.")
    assert [s["url"] for s in spec["servers"]] == [PREFIX]


def test_every_component_is_used(spec: dict[str, Any]) -> None:
    text = json.dumps(spec)
    unused = [f"{kind}/{name}" for kind in ("schemas", "responses", "parameters", "headers")
              for name in spec["components"][kind]
              if f'"#/components/{kind}/{name}"' not in text]
    assert unused == []


def _rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]


def test_spec_routes_are_exactly_the_apps(app: Flask, spec: dict[str, Any]) -> None:
    served = {(method, openapi_path(rule.rule)) for rule in _rules(app)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert documented - served == set(), "documented but not served"
    assert served - documented == set(), "served but not documented"


def test_path_parameters_match_the_url_converters(app: Flask, spec: dict[str, Any]) -> None:
    for rule in _rules(app):
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            declared = [*spec["paths"][path].get("parameters", []),
                        *spec["paths"][path][method.lower()].get("parameters", [])]
            in_path = {p["name"]: p["schema"] for p in map(functools.partial(_deref, spec),
                                                          declared) if p["in"] == "path"}
            converters = dict((name, conv) for conv, name in RULE_PARAM.findall(rule.rule))
            assert set(in_path) == set(converters), (method, rule.rule)
            for name, converter in converters.items():
                want = "integer" if converter == "int" else "string"
                assert in_path[name]["type"] == want, (method, rule.rule, name)


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` resolved; OpenAPI 3.1 siblings of ``$ref`` are merged in."""
    if "$ref" not in node:
        return node
    target: Any = spec
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return {**_deref(spec, target), **siblings}


def test_operations_are_complete(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert None not in ids and len(ids) == len(set(ids)), "operationIds missing or repeated"
    for method, path, op in operations(spec):
        statuses = set(op["responses"])
        assert {s for s in statuses if s.startswith("2")}, (method, path, "no 2xx")
        assert "default" not in statuses, (method, path, "undocumented statuses allowed")
        secured = op.get("security", spec["security"]) != []
        if secured:
            assert "401" in statuses, (method, path)
        elif not path.startswith("/auth/"):  # only sign-in routes judge credentials
            assert "401" not in statuses, (method, path)
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            assert {"400", "413", "415", "422"} <= statuses, (method, path)
        if "{" in path and secured:
            assert "404" in statuses, (method, path)
        for status in statuses - {"200", "201", "204"}:
            ref = op["responses"][status]["$ref"]
            assert "application/problem+json" in _deref(spec, {"$ref": ref})["content"]


def test_security_matches_each_views_authorisation(app: Flask, spec: dict[str, Any]) -> None:
    """Public actions need no credentials; API keys are listed exactly where authz allows them."""
    for rule in _rules(app):
        name = app.view_functions[rule.endpoint].elx_action
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = spec["paths"][openapi_path(rule.rule)][method.lower()]
            schemes = {k for req in op.get("security", spec["security"]) for k in req}
            if name in PUBLIC_ACTIONS:
                assert op.get("security") == [], (method, rule.rule)
                continue
            assert "bearerJwt" in schemes, (method, rule.rule)
            assert bool(schemes & API_KEY_SCHEMES) == RULES[name].api_key_ok, (method, rule.rule)
            assert "403" in op["responses"] or RULES[name].api_key_ok, (method, rule.rule)


# ----------------------------------------------------------------------------- round trip


def _status(world: World, status: int, method: str, path: str, actor: Any = None,
            **kwargs: Any) -> Any:
    response = world.call(method, path, actor, **kwargs)
    assert response.status_code == status, (method, path, response.get_data(as_text=True))
    return response


def _assets(world: World) -> tuple[str, dict[str, Any]]:
    """Register two assets, page through them, upload two versions, read the certificate."""
    merchant, operator, ok = world["merchant"], world["operator"], world.ok
    asset = ok("POST", "/assets", merchant, json=ASSET, status=201)
    other = ok("POST", "/assets", merchant, status=201,
               json={**ASSET, "title": "停车", "time_coverage": None, "tags": []})
    page = ok("GET", "/assets?limit=1", operator)
    assert page["next_cursor"] and len(page["items"]) == 1
    rest = ok("GET", f"/assets?limit=1&cursor={page['next_cursor']}", operator)
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {asset["id"], other["id"]}
    base = f"/assets/{asset['id']}"
    ok("GET", base, merchant)
    v1 = ok("POST", f"{base}/versions?filename=t.csv", merchant, data=CSV,
            content_type="text/csv", status=201)
    ok("POST", f"{base}/versions", merchant, content_type="multipart/form-data", status=201,
       data={"file": (io.BytesIO(b'{"a": 1}\n{"a": 2}\n'), "rows.jsonl"), "note": "x"})
    assert [v["version"] for v in ok("GET", f"{base}/versions", merchant)["items"]] == [1, 2]
    cert = ok("GET", f"{base}/certificate?version=1", merchant)
    assert cert["receipt"]["index"] == v1["ledger_index"] == cert["ledger_index"]
    ok("GET", f"{base}/certificate", operator)
    return base, v1


def _identity(world: World) -> None:
    """API keys (both ways of presenting one), approval, founding, members, token rotation."""
    merchant, buyer, operator, ok = world["merchant"], world["buyer"], world["operator"], world.ok
    key = ok("POST", "/api-keys", buyer, json={"org_id": buyer.org_id, "name": "prog"},
             status=201)
    assert ok("GET", "/me", headers={"X-API-Key": key["key"]})["api_key_id"] == key["id"]
    ok("GET", "/me", headers={"Authorization": f"Bearer {key['key']}"})
    ok("GET", "/me", buyer)
    ok("GET", "/api-keys", buyer)
    _status(world, 403, "GET", "/assets", headers={"X-API-Key": key["key"]})
    _status(world, 204, "DELETE", f"/api-keys/{key['id']}", buyer)
    _status(world, 401, "GET", "/me", headers={"X-API-Key": key["key"]})
    ok("GET", f"/organizations/{merchant.org_id}", merchant)
    ok("POST", f"/organizations/{world['pending'].org_id}/approve", operator)
    _status(world, 409, "POST", f"/organizations/{world['pending'].org_id}/approve", operator)
    ok("POST", "/organizations", world["outsider"], json={"name": "新商户", "kind": "data_broker"},
       status=201)
    newcomer = world.register("newcomer")
    ok("POST", f"/organizations/{merchant.org_id}/members", merchant, status=201,
       json={"email": newcomer.email, "role": "merchant_member"})
    tokens = ok("POST", "/auth/refresh", json={"refresh_token": merchant.refresh_token})
    _status(world, 204, "POST", "/auth/logout", json={"refresh_token": tokens["refresh_token"]})


def _ledger(world: World, index: int) -> int:
    """Every public ledger route; returns the log's size."""
    ok = world.ok
    size = int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])
    assert size > index
    ok("GET", f"/ledger/entries/{index}")
    ok("GET", f"/ledger/receipts/{index}")
    ok("GET", f"/ledger/proofs/inclusion?index={index}&tree_size={size}")
    ok("GET", f"/ledger/proofs/consistency?first=1&second={size}")
    ok("GET", "/ledger/public-keys")
    lines = world.call("GET", "/ledger/export").get_data(as_text=True).splitlines()
    assert len(lines) >= size + 2  # a header, the entries, an end line
    return size


def _errors(world: World, base: str, size: int) -> None:
    """One request per documented error kind; each answer is validated like any other."""
    merchant, buyer = world["merchant"], world["buyer"]
    _status(world, 422, "POST", "/assets", merchant, json={**ASSET, "title": "", "bogus": 1})
    _status(world, 422, "POST", "/assets", merchant,
            json={**ASSET, "time_coverage": {"start": "2021-01-01", "end": "2020-01-01"}})
    _status(world, 422, "GET", "/assets?limit=0", merchant)
    _status(world, 422, "GET", f"/ledger/proofs/inclusion?index={size}&tree_size={size}")
    _status(world, 404, "GET", "/assets/ast_aaaaaaaaaaaaaaaa", merchant)
    _status(world, 404, "GET", f"{base}/certificate?version=99", merchant)
    _status(world, 404, "GET", f"/ledger/entries/{size}")
    _status(world, 401, "GET", "/assets")
    _status(world, 401, "GET", "/me", headers={"Authorization": "Basic bm8="})
    _status(world, 403, "POST", "/assets", buyer, json={**ASSET, "owner_org_id": merchant.org_id})
    _status(world, 415, "POST", f"{base}/versions", merchant, data=b"%PDF-1.7",
            content_type="application/pdf")
    _status(world, 415, "POST", "/assets", merchant, data=json.dumps(ASSET),
            content_type="text/plain")
    _status(world, 400, "POST", "/assets", merchant, data=b'{"title": ',
            content_type="application/json")
    _status(world, 409, "POST", "/users", json={"email": merchant.email, "display_name": "m",
                                                "password": "correct horse battery staple"})
    _status(world, 413, "POST", "/assets", merchant, json={**ASSET, "description": "x" * 5000})
    _status(world, 413, "POST", f"{base}/versions", merchant, content_type="text/csv",
            data=b"a,b\n" + b"1,2\n" * (20 << 10))
    _status(world, 404, "GET", "/no-such-route")  # the router's answers, outside the contract
    _status(world, 405, "PUT", "/assets", merchant)
    for _ in range(2):  # LOGIN_MAX_FAILURES
        _status(world, 401, "POST", "/auth/token",
                json={"email": merchant.email, "password": "wrong password!"})
    limited = _status(world, 429, "POST", "/auth/token",
                      json={"email": merchant.email, "password": "wrong password!"})
    assert int(limited.headers["Retry-After"]) >= 1


def test_round_trip_validates_every_response(app_factory: Any, backend: str,
                                             spec: dict[str, Any]) -> None:
    """Every operation answers 2xx at least once and every error kind occurs; all of it
    validates (the ValidatingClient raises otherwise)."""
    app = install(app_factory(backend, MAX_JSON_BYTES=4096, MAX_UPLOAD_BYTES=64 << 10,
                              LOGIN_MAX_FAILURES=2))
    world = build_world(app)
    world.ok("GET", "/health")
    base, v1 = _assets(world)
    _identity(world)
    size = _ledger(world, v1["ledger_index"])
    _errors(world, base, size)
    exercise_elements(world)
    # --- issue 5+ route exercisers (one call per area) ---
    exercise_listings(world)
    exercise_valuations(world)
    exercise_orders(world)
    exercise_access(world)
    exercise_payments(world)
    # --- end issue 5+ route exercisers ---

    checked = world.client.checked
    succeeded = {op for op, status in checked if 200 <= status < 300}
    all_ids = {op["operationId"] for _, _, op in operations(spec)}
    assert all_ids - succeeded == set(), "operations never exercised with a 2xx"
    failed = {status for _, status in checked if status >= 400}
    assert {400, 401, 403, 404, 409, 413, 415, 422, 429} <= failed


# ----------------------------------------------------------------------------- invariants


def _strategy(schema: dict[str, Any], spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for the subset of JSON Schema the request bodies use (filtered by the schema)."""
    schema = _deref(spec, schema)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema or "allOf" in schema:
        options = schema.get("oneOf") or schema["allOf"][:1]
        return st.one_of([_strategy(s, spec) for s in options])
    kind = schema["type"]
    if isinstance(kind, list):
        return st.one_of([_strategy({**schema, "type": k}, spec) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "array":
        return st.lists(_strategy(schema["items"], spec), max_size=schema.get("maxItems", 5))
    if kind == "object":
        props = {k: _strategy(v, spec) for k, v in schema.get("properties", {}).items()}
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries({k: v for k, v in props.items() if k in required},
                                     optional={k: v for k, v in props.items()
                                               if k not in required})
    if schema.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if schema.get("pattern", "").startswith("^"):
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6))
    banned = schema.get("not", {}).get("pattern")  # a character class the text must avoid
    alphabet = st.characters().filter(lambda c: not (banned and re.search(banned, c)))
    return st.text(alphabet, min_size=schema.get("minLength", 0),
                   max_size=min(schema.get("maxLength", 40), 40))


def _validator(spec: dict[str, Any], name: str) -> Draft202012Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _post_json(client: Any, path: str, body: Any, token: str) -> TestResponse:
    return client.post(PREFIX + path, data=json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def test_contract_valid_asset_bodies_are_accepted(app: Flask, spec: dict[str, Any]) -> None:
    """Any body the contract accepts is registered (201), except for the one rule JSON Schema
    cannot state: a time coverage that starts after it ends (422 on that field)."""
    world = build_world(install(app))
    bodies = _strategy(spec["components"]["schemas"]["AssetRequest"], spec).filter(
        _validator(spec, "AssetRequest").is_valid)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: dict[str, Any]) -> None:
        body.pop("owner_org_id", None)  # implied: the caller's only merchant organisation
        response = _post_json(world.client, "/assets", body, world["merchant"].token)
        coverage = body.get("time_coverage")
        if coverage and coverage["start"] > coverage["end"]:
            assert response.status_code == 422
            assert set(response.get_json()["errors"]) == {"time_coverage"}
        else:
            assert response.status_code == 201, response.get_json()

    check()


def test_contract_valid_organisations_are_founded(app: Flask, spec: dict[str, Any]) -> None:
    """Any organisation body the contract accepts is created (201), unless its name, stripped,
    is already taken (409)."""
    world = build_world(install(app))
    taken = {"德阳数据开发公司 A", "竞争者数据公司 B", "买方企业 Buyer", "另一买方 Buyer 2",
             "评估机构 Valuers", "未审核商户 Pending"}
    bodies = _strategy(spec["components"]["schemas"]["OrganizationRequest"], spec).filter(
        _validator(spec, "OrganizationRequest").is_valid)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: dict[str, Any]) -> None:
        response = _post_json(world.client, "/organizations", body, world["outsider"].token)
        name = body["name"].strip()
        assert response.status_code == (409 if name in taken else 201), response.get_json()
        taken.add(name)

    check()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
FIELDS = ["title", "kind", "name", "tags", "email", "ttl_days", "contains_personal_info",
          "org_id", "time_coverage", "password", "display_name", "x"]


def test_any_json_body_gets_a_documented_answer(app: Flask) -> None:
    """Whatever JSON object arrives, the answer is documented and validates (the validating
    client checks it), and a 2xx only follows a request the contract accepts."""
    world = build_world(install(app))
    world.ok("POST", "/api-keys", world["buyer"], status=201,
             json={"org_id": world["buyer"].org_id, "name": "k"})

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(path=st.sampled_from(["/assets", "/organizations", "/api-keys", "/users"]),
           base=st.sampled_from([{}, ASSET, {"name": "某公司", "kind": "buyer"},
                                 {"email": "a@example.org", "display_name": "a",
                                  "password": "correct horse battery staple"}]),
           junk=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3),
           actor=st.sampled_from(["merchant", "buyer"]))
    def check(path: str, base: dict[str, Any], junk: dict[str, Any], actor: str) -> None:
        response = _post_json(world.client, path, {**base, **junk}, world[actor].token)
        assert response.status_code < 500

    check()


# ----------------------------------------------------------------------------- the validator


def _expect_violation(response: TestResponse, *needles: str) -> None:
    with pytest.raises(AssertionError) as info:
        validate(response)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def _plain_client(app: Flask) -> FlaskClient:
    """A client that does not validate (whatever ``test_client_class`` says), so the test can
    call validate() itself."""
    return FlaskClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def raw(app: Flask) -> FlaskClient:
    return _plain_client(app)


def test_validator_accepts_a_conforming_response(raw: FlaskClient) -> None:
    assert validate(raw.get(f"{PREFIX}/health")) == "getHealth"


@pytest.mark.parametrize(("body", "needle"), [
    ({"status": "ok", "uptime": 3}, "'uptime' was unexpected"),  # undocumented extra field
    ({"status": 1}, "at status: 'ok' was expected"),  # wrong value and type
    ({}, "'status' is a required property"),  # missing required field
])
def test_validator_rejects_a_body_that_breaks_the_schema(app: Flask, raw: FlaskClient, body: Any,
                                                         needle: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.view_functions, "health.health", lambda: jsonify(body))
    _expect_violation(raw.get(f"{PREFIX}/health"), "/health", needle)


def test_validator_rejects_an_undocumented_status(app: Flask, raw: FlaskClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.view_functions, "health.health", lambda: ({"status": "ok"}, 202))
    _expect_violation(raw.get(f"{PREFIX}/health"), "ResponseNotFound", "202")


def test_validator_rejects_a_wrong_media_type(app: Flask, raw: FlaskClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def plain_error() -> Response:
        body = {"type": "https://elx.example/problems/not-found", "title": "Not found",
                "status": 404, "detail": "x"}
        return Response(json.dumps(body), status=404, mimetype="application/json")

    monkeypatch.setitem(app.view_functions, "ledger.entry", lambda index: plain_error())
    _expect_violation(raw.get(f"{PREFIX}/ledger/entries/0"), "mimetype not found: application/json")


def test_validator_rejects_a_problem_with_the_wrong_status(app: Flask, raw: FlaskClient,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    def lying() -> Response:
        body = {"type": "https://elx.example/problems/x", "title": "X", "status": 400,
                "detail": "x"}
        return Response(json.dumps(body), status=404, mimetype="application/problem+json")

    monkeypatch.setitem(app.view_functions, "ledger.entry", lambda index: lying())
    _expect_violation(raw.get(f"{PREFIX}/ledger/entries/0"), "at status: 404 was expected")


def test_validator_requires_documented_headers(app: Flask, raw: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def no_challenge() -> Response:
        body = {"type": "https://elx.example/problems/unauthorized", "title": "Unauthorized",
                "status": 401, "detail": "x"}
        return Response(json.dumps(body), status=401, mimetype="application/problem+json")

    monkeypatch.setitem(app.view_functions, "accounts.me", no_challenge)
    _expect_violation(raw.get(f"{PREFIX}/me"), "Missing required header: WWW-Authenticate")


def test_validator_rejects_a_body_where_none_is_documented() -> None:
    request = EnvironBuilder(path=f"{PREFIX}/auth/logout", method="POST",
                             json={"refresh_token": "elxr_x"}).get_request()
    response = TestResponse([b'{"ok": true}'], "204 NO CONTENT",
                            Headers({"Content-Type": "application/json"}), request)
    _expect_violation(response, "no body")


def test_validator_rejects_a_request_the_server_wrongly_accepted(
        app: Flask, raw: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.view_functions, "accounts.logout", lambda: ("", 204))
    response = raw.post(f"{PREFIX}/auth/logout", json={"refresh_token": 7, "extra": True})
    _expect_violation(response, "request rejected by the contract")


def test_validator_rejects_a_route_missing_from_the_contract(app_factory: Any) -> None:
    app = app_factory()
    app.add_url_rule(f"{PREFIX}/secret", "secret", lambda: {"hidden": True})
    _expect_violation(_plain_client(app).get(f"{PREFIX}/secret"), "not in the contract")


def test_validating_client_checks_everything(app: Flask,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    install(app)
    client = app.test_client()
    assert isinstance(client, ValidatingClient)
    client.get(f"{PREFIX}/ledger/public-keys")
    assert client.checked == [("getPublicKeys", 200)]
    monkeypatch.setitem(app.view_functions, "ledger.public_keys", lambda: {"keys": [{}]})
    with pytest.raises(AssertionError, match="vkey"):
        client.get(f"{PREFIX}/ledger/public-keys")
