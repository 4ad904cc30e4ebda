"""Canonical serialisation and digests of policies (the inverse of ``policy_from_dict``).

``policy_to_dict`` always emits every list member, set operands as sorted lists, instants as
RFC 3339 UTC (``Z``) and durations as ISO 8601 days (``P30D``). ``policy_digest`` is SHA-256 over
its canonical JSON — sorted keys, no whitespace, UTF-8; on this domain (strings, integers, no
floats) that is RFC 8785 — so it ignores input key order and set order.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from contracts.model import ConstraintLike, Duty, LogicalConstraint, Policy
from contracts.operands import format_duration, format_instant

__all__ = ["DUTY_KEYS", "canonical_json", "policy_digest", "policy_to_dict"]

DUTY_KEYS = ("attribution", "amount_fen", "currency", "within_days")


def _right(value: object) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def _constraint_dict(c: ConstraintLike) -> dict[str, Any]:
    if isinstance(c, LogicalConstraint):
        return {c.op.value: [_constraint_dict(x) for x in c.constraints]}
    return {"leftOperand": c.left_operand.value, "operator": c.operator.value,
            "rightOperand": _right(c.right_operand)}


def _duty_dict(duty: Duty) -> dict[str, Any]:
    out: dict[str, Any] = {"action": duty.action.value}
    out.update({k: getattr(duty, k) for k in DUTY_KEYS if getattr(duty, k) is not None})
    return out


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The canonical JSON-ready document for ``policy`` (inverse of ``policy_from_dict``)."""
    return {
        "uid": policy.uid,
        "profile": policy.profile,
        "permission": [
            {"action": p.action.value, "constraint": [_constraint_dict(c) for c in p.constraints],
             "duty": [_duty_dict(x) for x in p.duties]}
            for p in policy.permissions
        ],
        "prohibition": [
            {"action": p.action.value, "constraint": [_constraint_dict(c) for c in p.constraints]}
            for p in policy.prohibitions
        ],
        "obligation": [_duty_dict(x) for x in policy.obligations],
    }


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (RFC 8785 on this integer/string-only domain)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def policy_digest(policy: Policy) -> str:
    """SHA-256 hex of the canonical JSON of ``policy_to_dict(policy)``."""
    return hashlib.sha256(canonical_json(policy_to_dict(policy))).hexdigest()
