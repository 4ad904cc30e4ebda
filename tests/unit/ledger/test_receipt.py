"""Tests for ledger.receipt — offline receipts: every entry's receipt verifies with only the public
key, and any change to any field is rejected."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import VerificationError
from ledger.entry import EntryDraft
from ledger.note_keys import Signer
from ledger.receipt import RECEIPT_FORMAT, verify_receipt
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking

ORIGIN = "elx.test/log"
SIGNER = Signer.generate(ORIGIN)
SIZE = 13


def draft(i: int) -> EntryDraft:
    payload = {"rows": i, "ok": True}
    return EntryDraft("query.executed", f"qry_{i}", "org_buyer", f"usr_{i}", payload)


@pytest.fixture(scope="module")
def receipts(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('r') / 'ledger.db'}")
    install_sqlite_locking(engine)
    create_tables(engine)
    store = LedgerStore(ORIGIN, SIGNER)
    with engine.begin() as conn:
        store.append_batch(conn, [draft(i) for i in range(SIZE - 1)])
        store.append(conn, draft(SIZE - 1))
        out = [store.receipt(conn, i) for i in range(SIZE)]
        with pytest.raises(LookupError):
            store.receipt(conn, SIZE)
    engine.dispose()
    return out


def test_every_receipt_verifies_offline_after_a_json_round_trip(
    receipts: list[dict[str, Any]],
) -> None:
    for index, receipt in enumerate(receipts):
        assert receipt["format"] == RECEIPT_FORMAT and receipt["origin"] == ORIGIN
        entry = verify_receipt(json.loads(json.dumps(receipt)), [SIGNER.verifier], ORIGIN)
        assert (entry.index, entry.subject) == (index, f"qry_{index}")


def test_the_payload_is_optional(receipts: list[dict[str, Any]]) -> None:
    receipt = {k: v for k, v in receipts[4].items() if k != "payload"}
    assert verify_receipt(receipt, [SIGNER.verifier]).index == 4


def _flip(b64: str, position: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _tampered(receipt: dict[str, Any], field: str, position: int) -> dict[str, Any]:
    bad = copy.deepcopy(receipt)
    if field in ("entry", "payload"):
        bad[field] = _flip(bad[field], position)
    elif field == "inclusion_proof":
        proof = bad[field]
        proof[position % len(proof)] = _flip(proof[position % len(proof)], position)
    elif field == "checkpoint":
        note = bad[field]
        i = position % len(note)
        bad[field] = note[:i] + ("A" if note[i] != "A" else "B") + note[i + 1 :]
    elif field == "index":
        bad[field] += 1 + position % 3
    else:
        bad[field] += "x"
    return bad


FIELDS = ["format", "origin", "index", "entry", "payload", "inclusion_proof", "checkpoint"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, SIZE - 1), st.sampled_from(FIELDS), st.integers(0, 10_000))
def test_any_tampered_field_is_rejected(
    receipts: list[dict[str, Any]], index: int, field: str, position: int
) -> None:
    receipt = receipts[index]
    if field == "inclusion_proof" and not receipt[field]:
        return
    with pytest.raises(VerificationError):
        verify_receipt(_tampered(receipt, field, position), [SIGNER.verifier])


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.pop("checkpoint"),
        lambda r: r.update(extra=1),
        lambda r: r.update(index="3"),
        lambda r: r.update(index=True),
        lambda r: r["inclusion_proof"].pop(),
        lambda r: r["inclusion_proof"].append(r["inclusion_proof"][0]),
        lambda r: r.update(entry=r["entry"] + "\n"),
        lambda r: r.update(entry=r["entry"] + "="),
        lambda r: r.update(payload=base64.b64encode(b'{"ok":true,"rows":3 }').decode()),
    ],
)
def test_malformed_receipts_are_rejected(receipts: list[dict[str, Any]], change: Any) -> None:
    receipt = copy.deepcopy(receipts[3])
    change(receipt)
    with pytest.raises(VerificationError):
        verify_receipt(receipt, [SIGNER.verifier])


def test_wrong_key_or_origin_is_rejected(receipts: list[dict[str, Any]]) -> None:
    with pytest.raises(VerificationError, match="no signature from a known key"):
        verify_receipt(receipts[0], [Signer.generate(ORIGIN).verifier])
    with pytest.raises(VerificationError, match="origin"):
        verify_receipt(receipts[0], [SIGNER.verifier], origin="elx.other/log")
    with pytest.raises(VerificationError):
        verify_receipt([receipts[0]], [SIGNER.verifier])  # type: ignore[arg-type]


def test_a_receipt_file_round_trips(receipts: list[dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(receipts[SIZE - 1]))
    assert verify_receipt(json.loads(path.read_text()), [SIGNER.verifier]).index == SIZE - 1
