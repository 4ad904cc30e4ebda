"""Strict JSON → :class:`~.quality_rules.QualityRules` parsing: unknown keys, wrong types,
non-finite numbers, invalid RE2 patterns and oversized rule lists are errors naming the rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import re
import threading
from typing import Any

import duckdb

from .quality_rules import (
    COMPARISONS,
    DIMENSIONS,
    SEMANTIC_TYPES,
    Allowed,
    Compare,
    QualityRulesError,
    Range,
    SameValue,
    Timeliness,
    Total,
)

__all__ = ["parse_rules", "rule_json"]

MAX_RULES = 256
MAX_VALUES = 1000
MAX_PATTERN = 1000
MAX_WINDOW_DAYS = 100 * 366
_RE2_LOCK = threading.Lock()
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOP = {"version", "as_of", "semantic_types", "patterns", "unique_keys", "consistency",
        "timeliness", "accuracy", "weights"}


def _fail(where: str, message: str) -> QualityRulesError:
    return QualityRulesError(where, message)


def _obj(value: object, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    if missing := required - value.keys():
        raise _fail(where, f"missing {sorted(missing)}")
    if unknown := value.keys() - required - optional:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    return value


def _list(value: object, where: str, limit: int = MAX_RULES) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list")
    if len(value) > limit:
        raise _fail(where, f"at most {limit} entries")
    return value


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 256 or "\x00" in value:
        raise _fail(where, "a column name must be a non-empty string")
    return value


def _names(value: object, where: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(_list(value, where, 32))
    if not names or len(set(names)) != len(names):
        raise _fail(where, "needs one or more distinct column names")
    return tuple(_name(n, where) for n in names)


def _number(value: object, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"{value!r} is not a finite number")
    return value


def _bound(value: object, where: str) -> int | float | str | None:
    if value is None or not isinstance(value, str):
        return None if value is None else _number(value, where)
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{value!r} is neither a number nor an ISO date/time") from None
    return value


def _pattern(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_PATTERN or "\x00" in value:
        raise _fail(where, f"must be a non-empty RE2 pattern of at most {MAX_PATTERN} chars")
    try:
        with _RE2_LOCK:  # one private in-memory connection, used by one thread at a time
            _re2().execute("SELECT regexp_full_match('', $p)", {"p": value}).fetchall()
    except duckdb.Error as e:
        raise _fail(where, f"invalid RE2 pattern: {str(e).splitlines()[0]}") from None
    return value


@functools.cache
def _re2() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _consistency(item: object, where: str) -> Compare | SameValue:
    rule = item.get("rule") if isinstance(item, dict) else None
    if rule == "same_value":
        d = _obj(item, where, {"rule", "key", "value"}, set())
        return SameValue(_names(d["key"], where), _name(d["value"], where))
    if rule in COMPARISONS:
        d = _obj(item, where, {"rule", "left", "right"}, set())
        return Compare(rule, _name(d["left"], where), _name(d["right"], where))
    raise _fail(where, f"rule must be one of {[*COMPARISONS, 'same_value']}")


def _accuracy(item: object, where: str) -> Range | Allowed | Total:
    rule = item.get("rule") if isinstance(item, dict) else None
    if rule == "range":
        d = _obj(item, where, {"rule", "column"}, {"min", "max"})
        low, high = _bound(d.get("min"), where), _bound(d.get("max"), where)
        if low is None and high is None:
            raise _fail(where, "needs min or max")
        if low is not None and high is not None and (
                isinstance(low, str) != isinstance(high, str) or low > high):  # type: ignore[operator]
            raise _fail(where, "min and max must be of one kind with min <= max")
        return Range(_name(d["column"], where), low, high)
    if rule == "allowed":
        d = _obj(item, where, {"rule", "column", "values"}, set())
        values = _list(d["values"], where, MAX_VALUES)
        if not values or not (all(isinstance(v, str) for v in values)
                              or all(not isinstance(v, str) for v in values)):
            raise _fail(where, "values must be a non-empty list of strings or of numbers")
        checked = tuple(v if isinstance(v, str) else _number(v, where) for v in values)
        return Allowed(_name(d["column"], where), checked)
    if rule == "total":
        d = _obj(item, where, {"rule", "column", "expected"}, {"tolerance"})
        tolerance = _number(d.get("tolerance", 0), where)
        if tolerance < 0:
            raise _fail(where, "tolerance must be >= 0")
        return Total(_name(d["column"], where), _number(d["expected"], where), tolerance)
    raise _fail(where, "rule must be one of ['range', 'allowed', 'total']")


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > MAX_RULES:
        raise _fail(where, f"must be an object of at most {MAX_RULES} entries")
    return value


def parse_rules(data: object) -> dict[str, Any]:
    """The fields of a ``QualityRules`` (``weights`` as a partial dict) from JSON."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data, parse_constant=lambda c: _number(float(c), "rules"))
        except json.JSONDecodeError as e:
            raise _fail("rules", f"not JSON: {e}") from None
    d = _obj(data, "rules", set(), _TOP)
    if d.get("version", 1) != 1:
        raise _fail("version", "only version 1 is understood")
    out: dict[str, Any] = {}
    types = _mapping(d.get("semantic_types", {}), "semantic_types")
    for col, kind in types.items():
        if kind not in SEMANTIC_TYPES:
            raise _fail(f"semantic_types.{col}", f"must be one of {list(SEMANTIC_TYPES)}")
    out["semantic_types"] = tuple(types.items())
    pats = _mapping(d.get("patterns", {}), "patterns")
    out["patterns"] = tuple((c, _pattern(v, f"patterns.{c}")) for c, v in pats.items())
    keys = _list(d.get("unique_keys", []), "unique_keys")
    out["unique_keys"] = tuple(_names(k, f"unique_keys[{i}]") for i, k in enumerate(keys))
    rules = _list(d.get("consistency", []), "consistency")
    out["consistency"] = tuple(_consistency(r, f"consistency[{i}]") for i, r in enumerate(rules))
    rules = _list(d.get("accuracy", []), "accuracy")
    out["accuracy"] = tuple(_accuracy(r, f"accuracy[{i}]") for i, r in enumerate(rules))
    if (t := d.get("timeliness")) is not None:
        t = _obj(t, "timeliness", {"column", "window_days"}, set())
        days = t["window_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WINDOW_DAYS:
            raise _fail("timeliness", f"window_days must be an integer in 1..{MAX_WINDOW_DAYS}")
        out["timeliness"] = Timeliness(_name(t["column"], "timeliness"), days)
    if (as_of := d.get("as_of")) is not None:
        if not isinstance(as_of, str) or not _ISO_DATE.fullmatch(as_of):
            raise _fail("as_of", "must be a YYYY-MM-DD date")
        try:
            out["as_of"] = dt.date.fromisoformat(as_of)
        except ValueError:
            raise _fail("as_of", f"{as_of!r} is not a calendar date") from None
    weights = _mapping(d.get("weights", {}), "weights")
    for dim, w in weights.items():
        if dim not in DIMENSIONS or _number(w, f"weights.{dim}") < 0:
            raise _fail(f"weights.{dim}", f"must be one of {list(DIMENSIONS)} with weight >= 0")
    out["weights"] = dict(weights)
    return out


def rule_json(rule: object) -> dict[str, Any]:
    """One rule as JSON (tuples → lists, unset range bounds left out)."""
    d = dataclasses.asdict(rule)  # type: ignore[call-overload]
    out = {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
    return {k: v for k, v in out.items() if not (k in ("min", "max") and v is None)}
