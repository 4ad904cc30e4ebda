"""Strict parsing of the query policy's wire form (issue 7 §2); see :mod:`sandbox.policy`.

Every problem is collected under the JSON pointer of its member, then raised together as one
:class:`~sandbox.errors.PolicyError`. ε and bounds are decimal strings or integers, never
floats (a float's binary value is not the number the merchant wrote).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.errors import PolicyError

__all__ = ["DEFAULTS", "parse_policy"]

DEFAULTS: dict[str, Any] = {"table": "element", "k": 10, "epsilon_per_query": "0.5",
                            "epsilon_per_license": "10", "max_rows": 1000, "max_groups": 10000,
                            "max_rows_per_identity": 1, "allow_joins": False,
                            "allow_subqueries": False, "aggregates": {}}
_TYPED = (("table", str), ("identity", str), ("k", int), ("max_rows", int),
          ("max_groups", int), ("max_rows_per_identity", int), ("allow_joins", bool),
          ("allow_subqueries", bool))


def parse_policy(doc: object) -> dict[str, Any]:
    """Keyword arguments for QueryPolicy; ``aggregates`` maps column → (functions, lo, hi)."""
    if not isinstance(doc, dict):
        raise PolicyError({"": "must be an object"})
    known = {*DEFAULTS, "identity", "dimensions"}
    errors: dict[str, str] = {f"/{k}"[:60]: "unknown member" for k in doc if k not in known}
    merged = {**DEFAULTS, **doc}
    for key in ("identity", "dimensions"):
        if key not in doc:
            errors[f"/{key}"] = "is required"
    kw: dict[str, Any] = {}
    for key, kind in _TYPED:
        value = merged.get(key)
        if type(value) is not kind:
            errors.setdefault(f"/{key}", f"must be a {kind.__name__}")
        kw[key] = value
    for key in ("epsilon_per_query", "epsilon_per_license"):
        kw[key] = _decimal(merged[key], f"/{key}", errors)
    dims = merged.get("dimensions")
    if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
        errors.setdefault("/dimensions", "must be a list of column names")
        dims = []
    kw["dimensions"] = frozenset(dims)
    kw["aggregates"] = _aggregates(merged["aggregates"], errors)
    if errors:
        raise PolicyError(errors)
    return kw


def _decimal(value: object, path: str, errors: dict[str, str]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[path] = "must be a decimal string or an integer"
        return Decimal(0)
    try:
        out = Decimal(value)
    except InvalidOperation:
        errors[path] = "must be a decimal string or an integer"
        return Decimal(0)
    if not out.is_finite():
        errors[path] = "must be finite"
    return out


def _aggregates(raw: object, errors: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    if not isinstance(raw, dict):
        errors["/aggregates"] = "must be an object"
        return {}
    out = {}
    for col, rule in raw.items():
        path = f"/aggregates/{col}"[:80]
        if not isinstance(rule, dict) or set(rule) - {"functions", "lower", "upper"}:
            errors[path] = "must be {functions, lower?, upper?}"
            continue
        funcs = rule.get("functions")
        if not isinstance(funcs, list) or not all(isinstance(f, str) for f in funcs):
            errors[f"{path}/functions"] = "must be a list of names"
            continue
        bounds = [None if rule.get(b) is None else _decimal(rule[b], f"{path}/{b}", errors)
                  for b in ("lower", "upper")]
        out[col] = (frozenset(funcs), bounds[0], bounds[1])
    return out
