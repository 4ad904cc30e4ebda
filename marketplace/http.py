"""Request parsing shared by every blueprint: strict JSON bodies, schema loading, cursors.

JSON bodies must be ``application/json`` (else 415), at most ``MAX_JSON_BYTES`` (else 413),
valid RFC 8259 JSON without NaN/Infinity (else 400) and a top-level object (else 422).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import current_app, request
from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowError

from marketplace.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object, strictly parsed."""
    raw_length = request.content_length
    if optional and not raw_length and not request.data:
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    limit = current_app.config["MAX_JSON_BYTES"]
    if raw_length is not None and raw_length > limit:
        raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes.")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes.")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise BadRequest("The body is not valid UTF-8.") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise BadRequest(f"The body is not valid JSON: {_json_position(exc)}") from exc
    if not isinstance(value, dict):
        raise ValidationFailed("The body must be a JSON object.",
                               errors={"_schema": ["Expected a JSON object."]})
    return value


def _json_position(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


def load(schema: Schema, data: dict[str, Any]) -> Any:
    """``schema.load`` with unknown fields rejected; marshmallow errors become 422."""
    try:
        return schema.load(data)
    except MarshmallowError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(errors=messages) from exc


def load_args(schema: Schema) -> Any:
    """Load query-string arguments through ``schema``."""
    return load(schema, request.args.to_dict())


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]}) from exc


def reject_control_characters_in_url() -> None:
    """``before_request`` guard: a NUL or other control character in the path or query string
    is never a valid identifier or argument (and PostgreSQL cannot even compare it)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in request.path) or any(
            any(ord(ch) < 32 or ord(ch) == 127 for ch in key + value)
            for key, value in request.args.items(multi=True)):
        raise BadRequest("Control characters are not allowed in the URL.")


def id_page(query: Any, id_column: Any, cursor: str | None,
            limit: int) -> tuple[list[Any], str | None]:
    """One page of ``query`` in ``id_column`` order after the opaque ``cursor`` (keyset
    paging): the rows and the next cursor, None on the last page."""
    from marketplace.db import db  # lazy: the models import this module

    query = query.order_by(id_column).limit(limit + 1)
    after = decode_cursor(cursor)
    if after:
        query = query.where(id_column > after)
    rows = list(db.session.scalars(query))
    more, rows = len(rows) > limit, rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None
