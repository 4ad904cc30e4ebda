"""Strict reading of the JSON pipeline spec (``elx-pipeline/v1``, see :mod:`..spec`).

Every object has a closed set of keys and every value its JSON type (``true`` is not a number,
``1.0`` is not an integer), so a typo is an error, never a silently ignored key.  Problems are
raised as :class:`SpecError` carrying the dotted path of the offending field (``steps.3.column``),
which is the key form of ``ValidationFailed.errors``.  Integers stay within ±(2^53 - 1), the
I-JSON range that RFC 8785 canonicalisation accepts.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

__all__ = [
    "MAX_NAME", "SAFE_INT", "SpecError", "array", "boolean", "choice", "integer", "join",
    "name", "names", "number", "obj", "string",
]

MAX_NAME = 255
SAFE_INT = 2**53 - 1


class SpecError(Exception):
    """One problem in the spec: ``path`` names the field, ``message`` says what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def obj(value: object, path: str, required: Collection[str] = (),
        optional: Collection[str] = ()) -> Mapping[str, Any]:
    """``value`` as an object with exactly the ``required`` keys and some ``optional`` ones."""
    if not isinstance(value, Mapping):
        raise SpecError(path, "Must be an object.")
    for key in value:
        if key not in required and key not in optional:
            allowed = ", ".join(sorted((*required, *optional)))
            raise SpecError(join(path, key), f"Unknown field; allowed: {allowed}.")
    for key in required:
        if key not in value:
            raise SpecError(join(path, key), "Missing required field.")
    return value


def string(value: object, path: str, *, max_len: int = MAX_NAME, min_len: int = 1) -> str:
    if not isinstance(value, str):
        raise SpecError(path, "Must be a string.")
    if not min_len <= len(value) <= max_len:
        raise SpecError(path, f"Must be {min_len} to {max_len} characters long.")
    return value


def name(value: object, path: str) -> str:
    """A column name: 1-255 characters, not blank, no control characters."""
    text = string(value, path)
    if not text.strip() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise SpecError(path, "A column name must not be blank or contain control characters.")
    return text


def names(value: object, path: str, *, min_len: int = 1, max_len: int = 1024) -> tuple[str, ...]:
    """A list of distinct column names."""
    items = array(value, path, min_len=min_len, max_len=max_len)
    out = tuple(name(item, join(path, i)) for i, item in enumerate(items))
    seen: set[str] = set()
    for i, item in enumerate(out):
        if item in seen:
            raise SpecError(join(path, i), f"Column {item!r} is listed twice.")
        seen.add(item)
    return out


def integer(value: object, path: str, lo: int = -SAFE_INT, hi: int = SAFE_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, "Must be an integer.")
    if not lo <= value <= hi:
        raise SpecError(path, f"Must be between {lo} and {hi}.")
    return value


def number(value: object, path: str, lo: float = -math.inf, hi: float = math.inf,
           *, exclusive_lo: bool = False) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(path, "Must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(path, "Must be a finite number.")
    if isinstance(value, int) and abs(value) > SAFE_INT:
        raise SpecError(path, "Integer is outside ±(2^53 - 1).")
    if value < lo or value > hi or (exclusive_lo and value == lo):
        low = f"above {lo}" if exclusive_lo else f"at least {lo}"
        raise SpecError(path, f"Must be {low} and at most {hi}.")
    return value


def boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, "Must be true or false.")
    return value


def array(value: object, path: str, *, min_len: int = 1, max_len: int = 1024) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError(path, "Must be an array.")
    if not min_len <= len(value) <= max_len:
        raise SpecError(path, f"Must have {min_len} to {max_len} items.")
    return value


def choice(value: object, path: str, options: Collection[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise SpecError(path, f"Must be one of: {', '.join(options)}.")
    return value
