"""Right-operand validation and normalisation per left operand (ODRL 2.2 §2.5.1).

* ``purpose``: slug(s) such as ``research``; ``spatial``: ISO 3166-1 alpha-2 or 3166-2 codes
  (``CN``, ``CN-51``); ``recipient``: organisation ids; ``dateTime``: timezone-aware instants
  (ISO 8601 text with an offset is accepted and normalised to UTC); ``elapsedTime``: a whole
  number of days, written as an ISO 8601 duration ``P30D`` (a ``timedelta`` in Python);
  ``count``: a non-negative int.
* Set operators (``isAnyOf``…) take a non-empty, duplicate-free collection → ``frozenset``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from contracts.errors import PolicyError
from contracts.vocab import MULTI_VALUED, OPERATORS_FOR, LeftOperand, Operator

__all__ = [
    "MAX_DAYS",
    "MAX_SET",
    "check_right_operand",
    "check_text",
    "enum_value",
    "format_duration",
    "format_instant",
    "parse_duration",
    "parse_instant",
    "set_field",
]

MAX_SET = 64
MAX_COUNT = 2**53 - 1
MAX_DAYS = 36500
_DURATION = re.compile(r"P([0-9]{1,5})D")
E = TypeVar("E", bound=Enum)

_PATTERNS = {
    LeftOperand.PURPOSE: re.compile(r"[a-z][a-z0-9_]{0,63}"),
    LeftOperand.SPATIAL: re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?"),
    LeftOperand.RECIPIENT: re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"),
}
_HINTS = {
    LeftOperand.PURPOSE: "a lowercase slug such as 'research'",
    LeftOperand.SPATIAL: "an ISO 3166 code such as 'CN' or 'CN-51'",
    LeftOperand.RECIPIENT: "an organisation id",
}


def set_field(obj: object, name: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)


def enum_value(kind: type[E], value: object, path: str, what: str) -> E:
    """``value`` as a member of ``kind`` (members and their string values are accepted)."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, str):
        raise PolicyError(f"{what} must be a string", path)
    try:
        return kind(value)
    except ValueError:
        raise PolicyError(f"unknown {what} {value!r:.60}", path) from None


def check_text(value: object, path: str, limit: int = 256) -> str:
    """A printable, non-empty string of at most ``limit`` characters."""
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise PolicyError(f"must be printable text of 1..{limit} characters", path)
    return value


def parse_instant(value: object, path: str) -> datetime:
    """An aware datetime (or ISO 8601 text with an offset), normalised to UTC."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PolicyError("must be an ISO 8601 date-time", path) from None
    if not isinstance(value, datetime):
        raise PolicyError("must be an ISO 8601 date-time", path)
    if value.tzinfo is None or value.utcoffset() is None:
        raise PolicyError("date-time needs a UTC offset", path)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PolicyError("date-time is out of range", path) from None


def format_instant(value: datetime) -> str:
    """RFC 3339 text in UTC with a ``Z`` suffix (the canonical wire form)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_duration(value: object, path: str) -> timedelta:
    """A whole number of days, 0..MAX_DAYS, as ``timedelta`` or ISO 8601 text ``P<n>D``."""
    if isinstance(value, str) and (m := _DURATION.fullmatch(value)):
        value = timedelta(days=int(m.group(1)))
    if not isinstance(value, timedelta) or value % timedelta(days=1) or not (
        timedelta(0) <= value <= timedelta(days=MAX_DAYS)
    ):
        raise PolicyError(f"must be a duration in whole days such as 'P30D' (<= {MAX_DAYS})", path)
    return value


def format_duration(value: timedelta) -> str:
    """ISO 8601 ``P<n>D`` (the canonical wire form)."""
    return f"P{value.days}D"


def _scalar(left: LeftOperand, value: object, path: str) -> Any:
    if left is LeftOperand.DATE_TIME:
        return parse_instant(value, path)
    if left is LeftOperand.ELAPSED_TIME:
        return parse_duration(value, path)
    if left is LeftOperand.COUNT:
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            raise PolicyError("must be a non-negative integer", path)
        return value
    if not isinstance(value, str) or not _PATTERNS[left].fullmatch(value):
        raise PolicyError(f"must be {_HINTS[left]}", path)
    return value


def check_right_operand(left: LeftOperand, op: Operator, value: object) -> Any:
    """Validate ``value`` for ``left op value``; return its normal form."""
    if op not in OPERATORS_FOR[left]:
        raise PolicyError(f"operator {op.value} does not apply to {left.value}", "/operator")
    path = "/rightOperand"
    if op not in MULTI_VALUED:
        return _scalar(left, value, path)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise PolicyError(f"{op.value} needs a list of values", path)
    if not value or len(value) > MAX_SET:
        raise PolicyError(f"{op.value} needs 1..{MAX_SET} values", path)
    items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    out = frozenset(_scalar(left, item, f"{path}/{i}") for i, item in enumerate(items))
    if len(out) != len(items):
        raise PolicyError("duplicate values", path)
    return out
