"""Offline receipts: one entry, its payload, its inclusion proof and a signed checkpoint.

A receipt is a JSON object (all binary values canonical standard base64)::

    {"format": "elx-ledger-receipt/v1", "origin": ORIGIN, "index": N,
     "entry": B64(entry bytes), "payload": B64(payload bytes)  (optional),
     "inclusion_proof": [B64(32-byte hash), ...], "checkpoint": SIGNED NOTE TEXT}

:func:`verify_receipt` needs no database and no network: it opens the C2SP signed checkpoint with
the given verifier keys, checks its origin, parses the entry strictly, checks the payload's
SHA-256 against the entry, and verifies the RFC 9162 inclusion proof of the entry's leaf hash
against the checkpoint's size and root. Any failure raises :class:`ledger.VerificationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from ledger import VerificationError
from ledger.canonical import b64decode_strict, b64encode, loads_canonical
from ledger.checkpoint import open_checkpoint
from ledger.entry import Entry
from ledger.merkle import leaf_hash
from ledger.note_keys import Verifier
from ledger.proof import verify_inclusion

__all__ = ["RECEIPT_FORMAT", "make_receipt", "verify_receipt"]

RECEIPT_FORMAT = "elx-ledger-receipt/v1"
_REQUIRED = {"format", "origin", "index", "entry", "inclusion_proof", "checkpoint"}


def make_receipt(
    *,
    origin: str,
    index: int,
    entry: bytes,
    payload: bytes | None,
    proof: Sequence[bytes],
    checkpoint: str,
) -> dict[str, Any]:
    """Assemble a receipt (the store fills it from the database)."""
    receipt: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "origin": origin,
        "index": index,
        "entry": b64encode(entry),
        "inclusion_proof": [b64encode(p) for p in proof],
        "checkpoint": checkpoint,
    }
    if payload is not None:
        receipt["payload"] = b64encode(payload)
    return receipt


def _field(receipt: dict[str, Any], name: str, kind: type) -> Any:
    value = receipt[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise VerificationError(f"receipt field {name!r} must be {kind.__name__}")
    return value


def _b64(value: object, what: str) -> bytes:
    try:
        return b64decode_strict(value)
    except ValueError as exc:
        raise VerificationError(f"receipt {what}: {exc}") from exc


def verify_receipt(
    receipt: dict[str, Any], verifiers: Iterable[Verifier], origin: str | None = None
) -> Entry:
    """Verify ``receipt`` offline against trusted ``verifiers``; return the proven entry."""
    if not isinstance(receipt, dict):
        raise VerificationError("a receipt is a JSON object")
    names = set(receipt)
    if not names >= _REQUIRED or names - _REQUIRED - {"payload"}:
        raise VerificationError(f"receipt fields must be {sorted(_REQUIRED)} and optional payload")
    if receipt["format"] != RECEIPT_FORMAT:
        raise VerificationError(f"unknown receipt format {receipt['format']!r:.40}")
    claimed_origin = _field(receipt, "origin", str)
    if origin is not None and claimed_origin != origin:
        raise VerificationError(f"receipt origin {claimed_origin!r} is not {origin!r}")
    index = _field(receipt, "index", int)
    checkpoint = open_checkpoint(_field(receipt, "checkpoint", str), verifiers, claimed_origin)
    data = _b64(receipt["entry"], "entry")
    try:
        entry = Entry.from_bytes(data)
    except ValueError as exc:
        raise VerificationError(f"receipt entry: {exc}") from exc
    if entry.index != index:
        raise VerificationError(f"receipt index {index} but the entry says {entry.index}")
    if "payload" in receipt:
        payload = _b64(receipt["payload"], "payload")
        if hashlib.sha256(payload).hexdigest() != entry.payload_sha256:
            raise VerificationError("receipt payload does not match the entry's payload digest")
        try:
            if not isinstance(loads_canonical(payload), dict):
                raise ValueError("payload is not a JSON object")
        except ValueError as exc:
            raise VerificationError(f"receipt payload: {exc}") from exc
    proof = [_b64(p, "proof element") for p in _field(receipt, "inclusion_proof", list)]
    verify_inclusion(leaf_hash(data), index, checkpoint.size, proof, checkpoint.root_hash)
    return entry
