"""Stripe's form encoding of nested parameters (https://docs.stripe.com/api/request-formats)
and our Idempotency-Key derivation (https://docs.stripe.com/api/idempotent_requests).

Nested mappings become ``parent[child]``, lists become ``parent[0]``, ``parent[1]`` (what the
official libraries send), booleans ``true``/``false``; ``None`` values are left out. Floats and
Decimals are refused: amounts are integer minor units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_TXN = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
_OPERATION = re.compile(r"[a-z_.]{1,40}")


def encode(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten ``params`` into ordered ``(key, value)`` pairs for a form body or query."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _flatten(str(key), value, pairs)
    return pairs


def _flatten(key: str, value: Any, out: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        out.append((key, "true" if value else "false"))
    elif isinstance(value, int | str):
        out.append((key, str(value)))
    elif isinstance(value, Mapping):
        for child, item in value.items():
            _flatten(f"{key}[{child}]", item, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            _flatten(f"{key}[{index}]", item, out)
    else:
        raise TypeError(f"{key}: cannot form-encode {type(value).__name__} "
                        "(amounts are integer minor units)")


def idempotency_key(txn_id: str, operation: str) -> str:
    """``elx-<operation>-<txn_id>``: the same transaction and operation always send the same
    key, so a retry (ours or a resubmitted request) is executed by the provider at most once;
    different operations on one transaction never collide."""
    if not _TXN.fullmatch(txn_id):
        raise ValueError(f"transaction id {txn_id!r} must match {_TXN.pattern}")
    if not _OPERATION.fullmatch(operation):
        raise ValueError(f"operation {operation!r} must match {_OPERATION.pattern}")
    return f"elx-{operation}-{txn_id}"
