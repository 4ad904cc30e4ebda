"""Policy documents: strict parsing, canonical serialisation and digests (ODRL 2.2 JSON shape).

Wire form (ODRL 2.2 §2 terms; this profile's own terms are snake_case)::

    {"uid": "...", "profile": PROFILE,
     "permission":  [{"action": "query", "constraint": [C...], "duty": [D...]}],
     "prohibition": [{"action": "resell", "constraint": [C...]}],
     "obligation":  [D...]}
    C = {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research"]}
      | {"and": [C...]} | {"or": [C...]}
    D = {"action": "attribute", "attribution": "..."} | {"action": "compensate",
         "amount_fen": 1000, "currency": "CNY"} | {"action": "delete", "within_days": 30}

``policy_from_dict`` rejects anything else with a :class:`PolicyError` whose ``path`` is a JSON
pointer into the input. Serialisation and digests live in ``contracts.serial`` (re-exported).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contracts.errors import PolicyError
from contracts.model import (
    MAX_CONSTRAINTS,
    MAX_DEPTH,
    MAX_RULES,
    PROFILE,
    Constraint,
    ConstraintLike,
    Duty,
    LogicalConstraint,
    Permission,
    Policy,
    Prohibition,
)
from contracts.serial import DUTY_KEYS, canonical_json, policy_digest, policy_to_dict
from contracts.vocab import LogicalOp

__all__ = [
    "PROFILE",
    "Constraint",
    "ConstraintLike",
    "Duty",
    "LogicalConstraint",
    "Permission",
    "Policy",
    "Prohibition",
    "canonical_json",
    "policy_digest",
    "policy_from_dict",
    "policy_to_dict",
]

@contextmanager
def _at(path: str) -> Iterator[None]:
    try:
        yield
    except PolicyError as exc:
        raise PolicyError(exc.message, path + exc.path) from None


def _obj(value: object, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError("must be an object", path)
    for key in value:
        if key not in required and key not in optional:
            raise PolicyError("unknown member", f"{path}/{str(key)[:40]}")
        if value[key] is None:
            raise PolicyError("must not be null", f"{path}/{key}")
    for key in sorted(required - value.keys()):
        raise PolicyError("is required", f"{path}/{key}")
    return value


def _list(d: dict[str, Any], key: str, path: str, limit: int) -> list[Any]:
    value = d.get(key, [])
    if not isinstance(value, list):
        raise PolicyError("must be a list", f"{path}/{key}")
    if len(value) > limit:
        raise PolicyError(f"at most {limit} items", f"{path}/{key}")
    return value


def _constraint(value: object, path: str, depth: int) -> ConstraintLike:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("and", "or"):
        op = next(iter(value))
        if depth >= MAX_DEPTH:
            raise PolicyError(f"logical constraints nest deeper than {MAX_DEPTH}", path)
        items = _list(value, op, path, MAX_CONSTRAINTS)
        parts = tuple(_constraint(c, f"{path}/{op}/{i}", depth + 1) for i, c in enumerate(items))
        with _at(path):
            return LogicalConstraint(LogicalOp(op), parts)
    d = _obj(value, path, {"leftOperand", "operator", "rightOperand"}, set())
    with _at(path):
        return Constraint(d["leftOperand"], d["operator"], d["rightOperand"])


def _constraints(d: dict[str, Any], path: str) -> tuple[ConstraintLike, ...]:
    items = _list(d, "constraint", path, MAX_CONSTRAINTS)
    return tuple(_constraint(c, f"{path}/constraint/{i}", 0) for i, c in enumerate(items))


def _duty(value: object, path: str) -> Duty:
    d = _obj(value, path, {"action"}, set(DUTY_KEYS))
    with _at(path):
        return Duty(d["action"], **{k: d[k] for k in DUTY_KEYS if k in d})


def _duties(d: dict[str, Any], key: str, path: str) -> tuple[Duty, ...]:
    items = _list(d, key, path, MAX_RULES)
    return tuple(_duty(x, f"{path}/{key}/{i}") for i, x in enumerate(items))


def policy_from_dict(data: object) -> Policy:
    """Parse a policy document strictly; raise PolicyError (with ``path``) on any problem."""
    d = _obj(data, "", {"uid"}, {"profile", "permission", "prohibition", "obligation"})
    permissions = []
    for i, raw in enumerate(_list(d, "permission", "", MAX_RULES)):
        path = f"/permission/{i}"
        p = _obj(raw, path, {"action"}, {"constraint", "duty"})
        with _at(path):
            permissions.append(
                Permission(p["action"], _constraints(p, ""), _duties(p, "duty", ""))
            )
    prohibitions = []
    for i, raw in enumerate(_list(d, "prohibition", "", MAX_RULES)):
        path = f"/prohibition/{i}"
        p = _obj(raw, path, {"action"}, {"constraint"})
        with _at(path):
            prohibitions.append(Prohibition(p["action"], _constraints(p, "")))
    obligations = _duties(d, "obligation", "")
    return Policy(d["uid"], tuple(permissions), tuple(prohibitions), obligations,
                  d.get("profile", PROFILE))
