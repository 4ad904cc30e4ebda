"""Check Flask test-client traffic against ``openapi.yaml`` (OpenAPI 3.1) with openapi-core.

``validate(response)`` raises AssertionError, naming the request and every problem found, when
the response's status is not documented for its operation, its media type or body does not match
the documented schema, a documented header is wrong or missing, or it has a body where the
contract says there is none. A 2xx response also requires the *request* to be valid against the
contract: what the server accepts, the contract must accept too.

Paths outside ``/api/v1`` and HEAD/OPTIONS requests are not part of the contract and are skipped.
A 404 for a path the contract does not know and a 405 for a method it does not list are the
router's answers (see the ``info.description``): they only have to be problem documents.

Use it per response, or for every response of an app (``world.py`` clients included)::

    validate(client.get("/api/v1/health"))
    install(app)  # app.test_client() now validates each response
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import APICallPathFinder
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"

__all__ = ["PREFIX", "SPEC_PATH", "ValidatingClient", "install", "load_spec", "validate"]


def _ndjson_loads(value: bytes, **_params: str) -> list[Any]:
    """application/x-ndjson: the stream's lines, each one JSON value."""
    return [json.loads(line) for line in value.decode("utf-8").splitlines()]


def _json_loads(value: bytes, **_params: str) -> Any:
    return json.loads(value.decode("utf-8"))


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> OpenAPI:
    """The parsed, validated contract (loaded once per process)."""
    config = Config(extra_media_type_deserializers={
        PROBLEM_JSON: _json_loads,
        "application/x-ndjson": _ndjson_loads,
    })
    return OpenAPI.from_file_path(str(path), config=config)


def _replayable(request: Request) -> Request:
    """A copy of a test request whose body can be read again (the app consumed it)."""
    environ = dict(request.environ)
    stream = environ.get("wsgi.input")
    if stream is not None and hasattr(stream, "seek"):
        stream.seek(0)
    return Request(environ)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _describe(error: BaseException) -> Iterator[str]:
    """The error and, for schema failures, the most specific jsonschema message and location."""
    name, text = type(error).__name__, str(error)
    yield _short(text if text.startswith(name) else f"{name}: {text}")
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for schema_error in getattr(current, "schema_errors", ()) or ():
            best = best_match([schema_error]) or schema_error
            where = "/".join(str(p) for p in best.absolute_path) or "<body>"
            yield f"  at {where}: {_short(best.message)}"
        current = current.__cause__ or current.__context__


def _fail(request: Request, response: TestResponse, problems: Iterable[str]) -> None:
    body = response.get_data(as_text=True)
    excerpt = body if len(body) <= 600 else body[:600] + "…"
    lines = [f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code} "
             f"{response.mimetype or '(no content type)'} violates openapi.yaml:", *problems,
             f"body: {excerpt}"]
    raise AssertionError("\n".join(lines))


def _routing_problem(spec: OpenAPI, response: TestResponse) -> list[str]:
    """Problems with a 404/405 answer for a path or method the contract does not list."""
    if response.mimetype != PROBLEM_JSON:
        return [f"expected {PROBLEM_JSON}, got {response.mimetype!r}"]
    schema = (spec.spec / "components" / "schemas" / "Problem").read_value()
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError as exc:
        return [f"body is not JSON: {exc}"]
    problems = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
    if isinstance(body, dict) and body.get("status") != response.status_code:
        problems.append(f"problem status {body.get('status')!r} != {response.status_code}")
    if response.status_code == 405 and "Allow" not in response.headers:
        problems.append("a 405 must name the allowed methods in Allow (RFC 9110 §15.5.6)")
    return problems


def _operation(spec: OpenAPI, request: Request) -> Any:
    """The contract's operation object for this request; PathNotFound/OperationNotFound."""
    finder = APICallPathFinder(spec.spec, base_url=None)
    wrapped = WerkzeugOpenAPIRequest(request)
    return finder.find(wrapped.method, urljoin(wrapped.host_url, wrapped.path)).operation


def validate(response: TestResponse, request: Request | None = None, *,
             spec: OpenAPI | None = None) -> str | None:
    """Raise AssertionError unless ``response`` (to ``request``) honours the contract.

    ``request`` defaults to ``response.request``, which Flask's test client always sets.
    Returns the operationId checked, or None when the request is outside the contract.
    """
    request = request if request is not None else response.request
    if request is None:
        raise AssertionError("validate() needs the request the response answers")
    if not request.path.startswith(PREFIX + "/") or request.method in ("HEAD", "OPTIONS"):
        return None
    spec = spec or load_spec()
    request = _replayable(request)
    response.get_data()  # buffer a streamed body so it can be read again by the caller
    try:
        operation = _operation(spec, request)
    except (PathNotFound, OperationNotFound) as exc:
        expected = 404 if isinstance(exc, PathNotFound) else 405
        problems = [] if response.status_code == expected else [
            f"{type(exc).__name__}: the route is not in the contract"]
        problems += _routing_problem(spec, response) if not problems else []
        if problems:
            _fail(request, response, problems)
        return None
    responses, status = operation / "responses", str(response.status_code)
    documented = responses / status if status in responses else None
    problems = [line for error in spec.iter_response_errors(
        WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        for line in _describe(error)]
    if documented is not None and "content" not in documented and response.get_data():
        problems.append("the contract documents no body for this status, but one was sent")
    if 200 <= response.status_code < 300 and not problems:
        problems += [f"request rejected by the contract although the server accepted it: {line}"
                     for error in spec.iter_request_errors(WerkzeugOpenAPIRequest(request))
                     for line in _describe(error)]
    if problems:
        _fail(request, response, problems)
    return str((operation / "operationId").read_value())


class ValidatingClient(FlaskClient):
    """A test client that validates every response; ``checked`` lists (operationId, status)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checked: list[tuple[str, int]] = []

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = super().open(*args, **kwargs)
        operation_id = validate(response)
        if operation_id is not None:
            self.checked.append((operation_id, response.status_code))
        return response


def install(app: Flask) -> Flask:
    """Make ``app.test_client()`` validate every response; returns ``app``."""
    app.test_client_class = ValidatingClient
    return app
