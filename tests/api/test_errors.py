"""Every error is RFC 9457 ``application/problem+json``; nothing internal leaks; hostile bodies
and headers never produce a 5xx (marketplace/errors.py, marketplace/http.py)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy.exc
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.world import PASSWORD

PROBLEM = "application/problem+json"
JSON = "application/json"
IDENTITY_POSTS = ["/api/v1/users", "/api/v1/auth/token"]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert isinstance(body, dict)
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


def test_unknown_route_is_404(client: Any) -> None:
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert_problem(client.post("/nowhere", json={}), 404)


def test_wrong_method_is_405_with_allow(client: Any) -> None:
    response = client.delete("/api/v1/users")
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "POST" in allowed and "DELETE" not in allowed
    response = client.put("/api/v1/me")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/jsonx", None,
])
@pytest.mark.parametrize("path", IDENTITY_POSTS)
def test_non_json_content_type_is_415(client: Any, path: str, content_type: str | None) -> None:
    body = json.dumps({"email": "a@example.org", "password": PASSWORD})
    headers = {"Content-Type": content_type} if content_type else {}
    assert_problem(client.post(path, data=body, headers=headers), 415)


def test_malformed_json_is_400_naming_line_and_column(client: Any) -> None:
    body = '{\n  "email": "a@example.org",\n  oops\n}'
    problem = assert_problem(client.post("/api/v1/users", data=body, content_type=JSON), 400)
    assert "line 3 column 3" in problem["detail"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_400(client: Any, literal: str) -> None:
    body = f'{{"email": "a@example.org", "password": {literal}}}'
    problem = assert_problem(client.post("/api/v1/auth/token", data=body, content_type=JSON),
                             400)
    assert literal.lstrip("-") in problem["detail"]


@pytest.mark.parametrize("body", ["[]", '[{"email": "a@example.org"}]', '"text"', "42", "null",
                                  "true"])
def test_top_level_non_object_is_422(client: Any, body: str) -> None:
    problem = assert_problem(client.post("/api/v1/users", data=body, content_type=JSON), 422)
    assert "_schema" in problem["errors"]


def test_body_over_the_limit_is_413(app_factory: Any) -> None:
    client = app_factory(MAX_JSON_BYTES=1024).test_client()
    body = json.dumps({"email": "a@example.org", "display_name": "x" * 2000,
                       "password": PASSWORD})
    assert_problem(client.post("/api/v1/users", data=body, content_type=JSON), 413)
    # without Content-Length (streamed) the limit still holds
    assert_problem(client.post("/api/v1/users", input_stream=io.BytesIO(body.encode()),
                               content_type=JSON), 413)
    small = json.dumps({"email": "a@example.org", "display_name": "x", "password": PASSWORD})
    assert client.post("/api/v1/users", data=small, content_type=JSON).status_code == 201


@pytest.mark.parametrize("raw", [b'{"email": "\xff\xfe"}', b"\xc3\x28", b'{"a": "\xed\xa0\x80"}'])
def test_non_utf8_body_is_400(client: Any, raw: bytes) -> None:
    problem = assert_problem(client.post("/api/v1/users", data=raw, content_type=JSON), 400)
    assert "UTF-8" in problem["detail"]


def test_deeply_nested_json_is_400_not_a_crash(client: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000
    assert_problem(client.post("/api/v1/users", data=body, content_type=JSON), 400)


def test_lone_surrogate_escapes_are_422_not_a_crash(client: Any) -> None:
    for path, body in [
        ("/api/v1/users", '{"email": "a@example.org", "display_name": "\\ud800",'
                          ' "password": "correct horse battery staple"}'),
        ("/api/v1/auth/token", '{"email": "a\\udfff@example.org", "password": "x\\ud800"}'),
    ]:
        assert_problem(client.post(path, data=body, content_type=JSON), 422)


SECRET_BITS = ["SELECT", "secret", "Traceback", "OperationalError", "sqlalchemy", "hunter2",
               "File \""]


@pytest.mark.parametrize("exc", [
    sqlalchemy.exc.OperationalError("SELECT secret FROM users WHERE pw='hunter2'", {}, None),
    RuntimeError("secret token hunter2"),
    KeyError("secret"),
])
def test_unexpected_exception_is_a_generic_500(app_factory: Any, exc: Exception) -> None:
    app = app_factory(validate_contract=False)  # the throwaway route is not in openapi.yaml

    def boom() -> Any:
        raise exc

    app.add_url_rule("/api/v1/_boom", "boom", boom, methods=["GET", "POST"])
    for response in (app.test_client().get("/api/v1/_boom"),
                     app.test_client().post("/api/v1/_boom", json={})):
        problem = assert_problem(response, 500)
        text = response.get_data(as_text=True)
        assert not [bit for bit in SECRET_BITS if bit.lower() in text.lower()], text
        assert problem["title"] == "Internal server error"


# ------------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["email", "password", "display_name", "refresh_token"]) \
    | st.text(max_size=12)
likely_values = st.sampled_from(["a@example.org", PASSWORD, "x", "", "a" * 300]) | json_values
bodies = st.one_of(json_values, st.dictionaries(field_names, likely_values, max_size=5))

HYPOTHESIS = settings(max_examples=120, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


@pytest.fixture
def lenient_app(app_factory: Any) -> Flask:
    """Throttling off, so hostile examples reach the deep code instead of a 429."""
    return app_factory(LOGIN_MAX_FAILURES=10**9, MAX_JSON_BYTES=4096)


def assert_4xx_problem_or_success(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
        assert response.get_json()["status"] == response.status_code


@HYPOTHESIS
@given(path=st.sampled_from(IDENTITY_POSTS), raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_5xx(lenient_app: Flask, path: str, raw: bytes) -> None:
    response = lenient_app.test_client().post(path, data=raw, content_type=JSON)
    assert_4xx_problem_or_success(response)


@HYPOTHESIS
@given(path=st.sampled_from(IDENTITY_POSTS), body=bodies)
def test_arbitrary_json_never_5xx(lenient_app: Flask, path: str, body: Any) -> None:
    data = json.dumps(body)  # may contain NaN/Infinity: those must be a 400
    response = lenient_app.test_client().post(path, data=data, content_type=JSON)
    assert_4xx_problem_or_success(response)


latin1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)


@HYPOTHESIS
@given(scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", "", "Bearer elx_",
                               "Bearer elx_key_"]), value=latin1, header=st.booleans())
def test_arbitrary_credentials_are_401(lenient_app: Flask, scheme: str, value: str,
                                       header: bool) -> None:
    name = "Authorization" if header else "X-API-Key"
    credential = scheme + value if header else value
    response = lenient_app.test_client().get("/api/v1/me", headers={name: credential})
    assert_problem(response, 401)
