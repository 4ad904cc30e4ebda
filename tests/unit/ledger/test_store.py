"""Tests for ledger.store — the SQL log: one chain, stored subtrees, proofs equal to ledger.merkle.

Oracles: ledger.merkle (RFC 9162 §2.1 over the raw leaves) for roots and proofs, ledger.proof for
verification, ledger.checkpoint/note for the signed checkpoints.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.entry import GENESIS_PREV, Entry, EntryDraft
from ledger.note_keys import Signer
from ledger.proof import verify_consistency, verify_inclusion
from ledger.schema import create_tables, metadata
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import verify_database

ORIGIN = "elx.test/log"
SIGNER = Signer.generate(ORIGIN)
PG_URL = os.environ.get("ELX_TEST_DATABASE_URL", "")


def draft(i: int) -> EntryDraft:
    return EntryDraft("asset.version.registered", f"ast_{i}", "org_a", "usr_b", {"n": i})


def sqlite_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    install_sqlite_locking(engine)
    create_tables(engine)
    return engine


def stored_leaves(conn: sa.Connection) -> list[bytes]:
    rows = conn.execute(sa.text("SELECT entry FROM ledger_entries ORDER BY idx"))
    return [bytes(r[0]) for r in rows]


def root_at(store: LedgerStore, conn: sa.Connection, size: int) -> bytes:
    note = store.checkpoint_at(conn, size)
    assert note is not None
    return open_checkpoint(note, [SIGNER.verifier], ORIGIN).root_hash


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=12), st.data())
def test_proofs_from_the_store_equal_merkle_proofs_and_verify(  # logs of 1..300 entries
    tmp_path: Path, batches: list[int], data: st.DataObject
) -> None:
    engine = sqlite_engine(tmp_path / f"{uuid.uuid4().hex}.db")
    store = LedgerStore(ORIGIN, SIGNER)
    total, sizes = 0, []
    with engine.begin() as conn:
        for count in batches:  # a batch of 1 goes through append(), the rest append_batch()
            if count == 1:
                store.append(conn, draft(total))
            else:
                store.append_batch(conn, [draft(total + k) for k in range(count)])
            total += count
            sizes.append(total)
        leaves = stored_leaves(conn)
        for size in sizes:  # every checkpoint signs the RFC 9162 root of its prefix
            assert root_at(store, conn, size) == merkle.root_hash(leaves[:size])
        for _ in range(8):
            size = data.draw(st.sampled_from(sizes))
            index = data.draw(st.integers(0, size - 1))
            proof = store.inclusion_proof(conn, index, size)
            assert proof == merkle.inclusion_proof(leaves[:size], index)
            verify_inclusion(
                merkle.leaf_hash(leaves[index]), index, size, proof, root_at(store, conn, size)
            )
            old = data.draw(st.integers(1, size))
            proof = store.consistency_proof(conn, old, size)
            assert proof == merkle.consistency_proof(leaves[:size], old)
            new_root = root_at(store, conn, size)
            verify_consistency(old, size, merkle.root_hash(leaves[:old]), new_root, proof)
        report = verify_database(conn, [SIGNER.verifier], ORIGIN)
        assert (report.size, report.checkpoints) == (total, len(batches))
    engine.dispose()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sqlite_engine(tmp_path / "ledger.db")
    yield engine
    engine.dispose()


def test_entries_form_one_hash_chain_with_their_payloads(engine: sa.Engine) -> None:
    store = LedgerStore(ORIGIN, SIGNER, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
    with engine.begin() as conn:
        made = [*store.append_batch(conn, [draft(i) for i in range(5)])]
        made.append(store.append(conn, draft(5)))
        assert [e.index for e in made] == list(range(6)) and store.size(conn) == 6
        prev = GENESIS_PREV
        for i, entry in enumerate(made):
            stored, payload = store.entry(conn, i)
            assert stored == entry and entry.prev == prev
            assert payload == b'{"n":%d}' % i
            assert entry.timestamp == datetime(2026, 3, 1, tzinfo=UTC)
            prev = merkle.leaf_hash(entry.to_bytes()).hex()
        with pytest.raises(LookupError):
            store.entry(conn, 6)


def test_one_checkpoint_per_append_call(engine: sa.Engine) -> None:
    store = LedgerStore(ORIGIN, SIGNER)
    with engine.begin() as conn:
        empty = open_checkpoint(store.latest_checkpoint(conn), [SIGNER.verifier], ORIGIN)
        assert (empty.size, empty.root_hash) == (0, merkle.EMPTY_ROOT)
        store.append_batch(conn, [draft(i) for i in range(3)])
        store.append(conn, draft(3))
        assert [store.checkpoint_at(conn, s) is not None for s in range(6)] == [
            False, False, False, True, True, False
        ]
        latest = open_checkpoint(store.latest_checkpoint(conn), [SIGNER.verifier], ORIGIN)
        assert (latest.size, latest.root_hash) == (4, merkle.root_hash(stored_leaves(conn)))


def test_the_store_never_commits_the_callers_transaction(engine: sa.Engine) -> None:
    store = LedgerStore(ORIGIN, SIGNER)
    with engine.connect() as conn:
        tx = conn.begin()
        store.append_batch(conn, [draft(i) for i in range(3)])
        assert store.size(conn) == 3
        tx.rollback()
    with engine.connect() as conn:
        assert store.size(conn) == 0
        assert conn.execute(sa.text("SELECT count(*) FROM ledger_checkpoints")).scalar() == 0


def test_a_bad_draft_in_a_batch_writes_nothing(engine: sa.Engine) -> None:
    store = LedgerStore(ORIGIN, SIGNER)
    bad = EntryDraft("Not A Kind", "s", "o", None, {})
    with engine.begin() as conn:
        with pytest.raises(ValueError):
            store.append_batch(conn, [draft(0), bad, draft(2)])
        with pytest.raises(ValueError):
            store.append_batch(conn, [])
        assert store.size(conn) == 0


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (3, 3)),
        ("inclusion_proof", (-1, 2)),
        ("inclusion_proof", (0, 4)),  # beyond the log
        ("consistency_proof", (0, 2)),
        ("consistency_proof", (3, 2)),
        ("consistency_proof", (1, 4)),
    ],
)
def test_proof_arguments_are_checked(engine: sa.Engine, call: str, args: tuple[int, int]) -> None:
    store = LedgerStore(ORIGIN, SIGNER)
    with engine.begin() as conn:
        store.append_batch(conn, [draft(i) for i in range(3)])
        with pytest.raises(ValueError):
            getattr(store, call)(conn, *args)


def test_metadata_is_prefixed_and_named_by_convention() -> None:
    assert sorted(metadata.tables) == [
        "ledger_checkpoints", "ledger_entries", "ledger_keys", "ledger_nodes"
    ]
    ddl = "\n".join(str(sa.schema.CreateTable(t)) for t in metadata.sorted_tables)
    assert "CONSTRAINT pk_ledger_entries PRIMARY KEY (idx)" in ddl


def test_sqlite_locking_takes_the_write_lock_at_begin(engine: sa.Engine, tmp_path: Path) -> None:
    install_sqlite_locking(engine)  # idempotent: a second BEGIN IMMEDIATE would fail below
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        conn.rollback()
        with conn.begin():
            assert conn.connection.dbapi_connection.in_transaction  # before any statement
            other = sqlite3.connect(tmp_path / "ledger.db", timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="ELX_TEST_DATABASE_URL is not set")
def test_postgresql_store_serves_the_same_proofs() -> None:
    schema = f"ledger_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        create_tables(engine)
        store = LedgerStore(ORIGIN, SIGNER)
        with engine.begin() as conn:
            store.append_batch(conn, [draft(i) for i in range(20)])
            store.append(conn, draft(20))
        with engine.begin() as conn:
            leaves = stored_leaves(conn)
            for index in (0, 7, 20):
                expected = merkle.inclusion_proof(leaves, index)
                assert store.inclusion_proof(conn, index, 21) == expected
            assert store.consistency_proof(conn, 20, 21) == merkle.consistency_proof(leaves, 20)
            assert verify_database(conn, [SIGNER.verifier]).size == 21
            assert isinstance(store.entry(conn, 3)[0], Entry)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
