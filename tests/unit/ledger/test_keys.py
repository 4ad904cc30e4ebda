"""Tests for ledger.keys and key handling in the store: PEM loading, dev key creation, rotation
(retired keys keep verifying), unknown keys rejected, witness cosignatures."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ledger import VerificationError
from ledger.checkpoint import open_checkpoint
from ledger.entry import EntryDraft
from ledger.keys import (
    load_or_create_signer,
    load_signer,
    signer_from_pem,
    signer_to_pem,
    verifiers_from_vkeys,
    write_new_signer,
)
from ledger.note import open_note_detailed, sign_note
from ledger.note_keys import Signer
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import verify_database
from ledger.walker import LogError

ORIGIN = "elx.test/log"


def draft(i: int) -> EntryDraft:
    return EntryDraft("payment.recorded", f"pay_{i}", "org_a", None, {"n": i})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    install_sqlite_locking(engine)
    create_tables(engine)
    yield engine
    engine.dispose()


def test_dev_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "log.pem"
    first = load_or_create_signer(path, ORIGIN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_signer(path, ORIGIN).vkey == first.vkey
    with pytest.raises(FileExistsError):
        write_new_signer(path, ORIGIN)
    assert [p.name for p in tmp_path.iterdir()] == ["log.pem"]  # no temporary files left


def test_signer_loads_from_env_pem_text_or_base64_before_the_file(tmp_path: Path) -> None:
    on_disk, in_env = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    path = tmp_path / "k.pem"
    path.write_bytes(signer_to_pem(on_disk))
    pem = signer_to_pem(in_env)
    for value in (pem.decode(), base64.b64encode(pem).decode()):
        loaded = load_signer(ORIGIN, path=path, env="ELX_KEY", environ={"ELX_KEY": value})
        assert loaded.vkey == in_env.vkey
    assert load_signer(ORIGIN, path=path, env="ELX_KEY", environ={}).vkey == on_disk.vkey
    with pytest.raises(ValueError, match="no signing key"):
        load_signer(ORIGIN, env="ELX_KEY", environ={})


@pytest.mark.parametrize(
    "pem",
    [
        b"not a key",
        base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    ],
)
def test_unusable_keys_are_refused(pem: bytes) -> None:
    with pytest.raises(ValueError):
        signer_from_pem(ORIGIN, pem)


def test_rotation_keeps_old_checkpoints_verifiable(engine: sa.Engine) -> None:
    old, new = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    with engine.begin() as conn:
        LedgerStore(ORIGIN, old).append_batch(conn, [draft(i) for i in range(3)])
    store = LedgerStore(ORIGIN, new)
    with engine.begin() as conn:
        store.append(conn, draft(3))
        published = {k["vkey"]: k for k in store.public_keys(conn)}
        assert published[old.vkey]["status"] == "retired" and published[old.vkey]["retired_at"]
        assert published[new.vkey]["status"] == "current"
        verifiers = verifiers_from_vkeys(published)
        assert open_checkpoint(store.checkpoint_at(conn, 3), verifiers, ORIGIN).size == 3
        assert open_checkpoint(store.latest_checkpoint(conn), verifiers, ORIGIN).size == 4
        assert verify_database(conn, verifiers).checkpoints == 2
        assert verify_database(conn).keys_from_log  # the published keys cover both
        with pytest.raises(LogError, match="checkpoint at size 3") as failure:
            verify_database(conn, [new.verifier])  # the old key is not trusted
        assert failure.value.index == 2


def test_a_checkpoint_signed_by_an_unknown_key_is_rejected(engine: sa.Engine) -> None:
    log, stranger = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    store = LedgerStore(ORIGIN, log)
    with engine.begin() as conn:
        store.append_batch(conn, [draft(i) for i in range(4)])
        note = store.checkpoint_at(conn, 4)
        forged = sign_note(open_note_detailed(note, [log.verifier]).text, stranger)
        conn.execute(
            sa.text("UPDATE ledger_checkpoints SET note = :n WHERE size = 4"), {"n": forged}
        )
        for trusted in (None, [log.verifier]):
            with pytest.raises(LogError, match="entry 3: checkpoint at size 4"):
                verify_database(conn, trusted)
        with pytest.raises(VerificationError):
            open_checkpoint(forged, [log.verifier], ORIGIN)


def test_a_witness_cosigns_every_checkpoint(engine: sa.Engine) -> None:
    log, witness = Signer.generate(ORIGIN), Signer.generate("witness.example")
    store = LedgerStore(ORIGIN, log, cosigners=[witness])
    with engine.begin() as conn:
        store.append_batch(conn, [draft(i) for i in range(2)])
        store.append(conn, draft(2))
        for size in (2, 3):
            note = store.checkpoint_at(conn, size)
            opened = open_note_detailed(note, [log.verifier, witness.verifier])
            assert set(opened.signers) == {log.verifier, witness.verifier}
        roles = {k["vkey"]: k["role"] for k in store.public_keys(conn)}
        assert roles == {log.vkey: "log", witness.vkey: "witness"}
        assert verify_database(conn, [witness.verifier]).checkpoints == 2  # trusting the witness
        lines = store.checkpoint_at(conn, 3).split("\n")
        assert lines[-2].startswith(f"— {witness.name} ")  # cosignatures follow the log's
        prefix, blob = lines[-2].rsplit(" ", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[-1] ^= 1
        lines[-2] = f"{prefix} {base64.b64encode(raw).decode()}"
        update = sa.text("UPDATE ledger_checkpoints SET note = :n WHERE size = 3")
        conn.execute(update, {"n": "\n".join(lines)})
        with pytest.raises(LogError, match=r"entry 2: checkpoint at size 3.*invalid signature"):
            verify_database(conn, [log.verifier])  # the log's own signature is still fine


def test_retired_keys_given_to_the_store_are_published(engine: sa.Engine) -> None:
    earlier = Signer.generate(ORIGIN)
    store = LedgerStore(ORIGIN, Signer.generate(ORIGIN), retired_vkeys=[earlier.vkey])
    with engine.begin() as conn:
        listed = {k["vkey"]: k["status"] for k in store.public_keys(conn)}  # before any append
        assert listed[earlier.vkey] == "retired"
        store.append(conn, draft(0))
        stored = {k["vkey"]: k["status"] for k in store.public_keys(conn)}
        assert stored == listed and all(k["created_at"] for k in store.public_keys(conn))
