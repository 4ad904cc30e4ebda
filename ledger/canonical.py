"""Canonical JSON for the ledger's value domain — RFC 8785 (JCS), restricted and fast.

The domain is: ``None``, ``bool``, ``int`` within ±(2**53 - 1) (RFC 8785 §3.2.2.3: JSON numbers
are IEEE 754 doubles), ``str`` (valid Unicode, no lone surrogates), ``list``/``tuple``, and
``dict`` with ASCII ``str`` keys. Floats are refused. On this domain JCS is exactly
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` in UTF-8:

* ASCII keys sort the same by code point as by UTF-16 code unit (§3.2.3);
* CPython escapes ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` by name and other C0 controls as
  lowercase ``\\u00xx``, leaving everything else literal — ECMA-262 JSON.stringify (§3.2.2.2);
* integers in the safe range print as plain decimal (§3.2.2.3).

``tests/unit/ledger/test_entry.py`` proves the equality with the reference ``rfc8785.dumps``
by property test. :func:`loads_canonical` is the strict inverse: it accepts only bytes that are
the canonical form of a value in the domain. Binary fields travel as canonical base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INT",
    "b64decode_strict",
    "b64encode",
    "dumps_canonical",
    "loads_canonical",
]

MAX_SAFE_INT = 2**53 - 1
MAX_DEPTH = 64


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"value nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not key.isascii():
                raise ValueError(f"object keys must be ASCII strings, got {key!r:.40}")
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = (value,)
        depth -= 1  # a scalar checked through the loop below
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int and -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
            continue
        if isinstance(item, (dict, list, tuple)):
            _check(item, depth + 1)
        elif isinstance(item, str) or item is True or item is False:
            continue  # str subclasses (e.g. StrEnum) encode as their text
        elif isinstance(item, int):
            if not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
                raise ValueError(f"integer {item} is outside ±(2**53 - 1) (RFC 8785 §3.2.2.3)")
        else:
            raise ValueError(f"{kind.__name__} is not in the canonical JSON domain (no floats)")


# One reusable C encoder: ``json.dumps`` with non-default options builds a new encoder per call,
# which costs more than encoding a small payload. No cycle markers: _check bounds the depth.
if c_make_encoder is not None:
    _c_encode = c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, False)

    def _encode(value: Any) -> str:
        return "".join(_c_encode(value, 0))

else:  # pragma: no cover - CPython always has the C accelerator
    _encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def dumps_canonical(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``; ValueError outside the domain."""
    _check(value, 0)
    text = _encode(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8 (RFC 8785 §3.2.2.2)
        raise ValueError("string contains a lone surrogate") from exc


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text!r} is not an integer")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate object key")
    return out


def loads_canonical(data: bytes) -> Any:
    """Parse ``data``, accepting only the exact canonical bytes of an in-domain value."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            parse_float=_no_float,
            parse_constant=_no_float,
            object_pairs_hook=_pairs,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if dumps_canonical(value) != data:
        raise ValueError("JSON is not in RFC 8785 canonical form")
    return value


def b64encode(data: bytes) -> str:
    """Standard base64 (RFC 4648 §4) with padding, as text."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: object) -> bytes:
    """Decode canonical standard base64 only (RFC 4648 §3.5: padding bits zero); ValueError."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("expected a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"bad base64: {exc}") from exc
    if b64encode(raw) != text:
        raise ValueError("non-canonical base64")
    return raw
