"""Keyset cursors of ``GET /catalog`` (issue 5 §3): ``[sort, key…]``, base64url JSON of
integers. Every sort ends with the entry id, so the keys order the results totally and paging
visits every result exactly once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from marketplace.errors import ValidationFailed
from marketplace.http import decode_cursor, encode_cursor

#: (expression, descending) per sort key
Keys = list[tuple[Any, bool]]


def after(keys: Keys, values: list[int]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order ``keys`` define."""
    options = []
    for i, (expr, desc) in enumerate(keys):
        equal = [k == v for (k, _), v in zip(keys[:i], values, strict=False)]
        options.append(and_(*equal, expr < values[i] if desc else expr > values[i]))
    return or_(*options)


def order(keys: Keys) -> list[Any]:
    return [k.desc() if desc else k.asc() for k, desc in keys]


def decode(cursor: str, sort: str, width: int) -> list[int]:
    invalid = ValidationFailed(errors={"cursor": ["Invalid cursor for this search."]})
    try:
        data = json.loads(decode_cursor(cursor) or "")
    except ValueError:
        raise invalid from None
    if not (isinstance(data, list) and len(data) == width + 1 and data[0] == sort
            and all(type(v) is int for v in data[1:])):
        raise invalid
    return data[1:]


def encode(sort: str, values: list[int]) -> str:
    return encode_cursor(json.dumps([sort, *values], separators=(",", ":")))
