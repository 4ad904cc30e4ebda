"""Concurrent appends from several processes (and threads) make exactly one valid chain, on
SQLite (BEGIN IMMEDIATE) and on PostgreSQL (pg_advisory_xact_lock)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger import ranges
from ledger.entry import EntryDraft
from ledger.keys import signer_from_pem, signer_to_pem
from ledger.note_keys import Signer
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import verify_database, verify_url

ORIGIN = "elx.test/log"
PG_URL = os.environ.get("ELX_TEST_DATABASE_URL", "")
WORKERS, APPENDS = 4, 500


def make_engine(url: str, schema: str | None) -> sa.Engine:
    """An engine for ``url`` (PostgreSQL when ``schema`` is given). Durability is not under test
    here, so commits skip their fsync; the locking is the production code's."""
    if schema is not None:
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        return sa.create_engine(url, connect_args={"options": options})
    engine = sa.create_engine(url)
    install_sqlite_locking(engine)

    @sa.event.listens_for(engine, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine


def draft(worker: int, i: int) -> EntryDraft:
    return EntryDraft("test.appended", f"w{worker}-{i}", f"org_{worker}", None, {"i": i})


def append_many(url: str, schema: str | None, pem: bytes, worker: int, count: int) -> None:
    """One writer: ``count`` appends, each in its own transaction (runs in a child process)."""
    engine = make_engine(url, schema)
    store = LedgerStore(ORIGIN, signer_from_pem(ORIGIN, pem))
    for i in range(count):
        with engine.begin() as conn:
            store.append(conn, draft(worker, i))
    engine.dispose()


def check_one_chain(engine: sa.Engine, signer: Signer, writers: int, count: int) -> None:
    with engine.connect() as conn:
        report = verify_database(conn, [signer.verifier], ORIGIN)
        assert (report.size, report.checkpoints) == (writers * count, writers * count)
        subjects = conn.execute(sa.text("SELECT entry FROM ledger_entries")).scalars().all()
    for worker in range(writers):  # every writer's entries are all there, exactly once
        assert sum(f'"subject":"w{worker}-'.encode() in bytes(s) for s in subjects) == count


def run_processes(url: str, schema: str | None, signer: Signer) -> None:
    context = multiprocessing.get_context("spawn")
    pem = signer_to_pem(signer)
    procs = [
        context.Process(target=append_many, args=(url, schema, pem, w, APPENDS))
        for w in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0] * WORKERS


def test_processes_append_one_chain_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url, None)
    create_tables(engine)
    signer = Signer.generate(ORIGIN)
    run_processes(url, None, signer)
    check_one_chain(engine, signer, WORKERS, APPENDS)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="ELX_TEST_DATABASE_URL is not set")
def test_processes_append_one_chain_on_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = f"ledger_c_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = make_engine(PG_URL, schema)
    try:
        create_tables(engine)
        signer = Signer.generate(ORIGIN)
        run_processes(PG_URL, schema, signer)
        check_one_chain(engine, signer, WORKERS, APPENDS)
        # and in claimed ranges over two processes (forked: this one holds a connection)
        monkeypatch.setattr(ranges, "MIN_RANGE", 64)
        url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        report = verify_url(url.render_as_string(hide_password=False), [signer.verifier], jobs=2)
        assert (report.size, report.checkpoints) == (WORKERS * APPENDS, WORKERS * APPENDS)
        with engine.connect() as conn:  # the pooled connection the worker inherited still works
            count = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar()
            assert count == WORKERS * APPENDS
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def test_threads_sharing_an_engine_append_one_chain(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}", None)
    create_tables(engine)
    signer = Signer.generate(ORIGIN)
    store = LedgerStore(ORIGIN, signer)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(50):
                with engine.begin() as conn:
                    store.append(conn, draft(worker, i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check_one_chain(engine, signer, 4, 50)
    engine.dispose()
