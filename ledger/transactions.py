"""Transactions around the ledger tables: appends serialise, verifiers read one snapshot.

An RFC 9162 log is append-only with one chain, so appenders take turns: ``pg_advisory_xact_lock``
on PostgreSQL (:func:`serialize_appends`), ``BEGIN IMMEDIATE`` on SQLite
(:func:`install_sqlite_locking`); the primary key on the entry index makes a fork impossible even
without them. A verifier reads the whole log in one consistent snapshot (:func:`snapshot`): a
deferred ``BEGIN`` on SQLite, REPEATABLE READ on PostgreSQL. SQLite transaction control follows
SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints / Transactional DDL").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

__all__ = ["PG_LOCK_KEY", "install_sqlite_locking", "serialize_appends", "snapshot"]

# An arbitrary constant 64-bit key for pg_advisory_xact_lock ("elx ledger append").
PG_LOCK_KEY = 0x656C785F6C656467


def _lenient_text(dbapi_connection: Any, _record: Any) -> None:
    """TEXT that is not UTF-8 reads as a str with surrogate escapes instead of failing the read:
    a column rewritten that way is then a wrong value the verifier names by index, like any
    other, not a driver error (only the blob the log wrote is ever right)."""
    dbapi_connection.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")


def _begin_sqlite_with(engine: Engine, begin: str, pragmas: Sequence[str] = ()) -> None:
    """Driver autocommit, then ``begin`` opens every transaction; ``pragmas`` run per connection."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        if pragmas:
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


def install_sqlite_locking(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe: driver autocommit, ``BEGIN IMMEDIATE``, WAL, busy_timeout.

    Call once, before the engine's first connection. Idempotent; also a no-op for other
    dialects and for engines that ``marketplace.db.tune_engine`` already set up the same way
    (installing both would emit ``BEGIN IMMEDIATE`` twice).
    """
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_ledger_locking", False) or getattr(engine, "_elx_tuned", False):
        return
    engine._ledger_locking = True  # type: ignore[attr-defined]
    pragmas = ["PRAGMA busy_timeout=60000"]
    if engine.url.database not in (None, "", ":memory:"):
        pragmas.append("PRAGMA journal_mode=WAL")
    _begin_sqlite_with(engine, "BEGIN IMMEDIATE", pragmas)


def serialize_appends(conn: Connection) -> None:
    """Wait for earlier appenders to commit (PostgreSQL advisory lock; SQLite already holds its
    write lock from ``BEGIN IMMEDIATE``). Call first in the appending transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")


@contextmanager
def snapshot(url: str) -> Iterator[Connection]:
    """A read-only-use connection to ``url`` inside one transaction with a consistent snapshot:
    a deferred ``BEGIN`` on SQLite (WAL readers keep their snapshot), REPEATABLE READ on
    PostgreSQL. A missing SQLite file is an error, not a new empty database."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path not in (None, "", ":memory:") and not Path(path).is_file():
            raise FileNotFoundError(f"no SQLite database at {path}")
        _begin_sqlite_with(engine, "BEGIN")
        event.listen(engine, "connect", _lenient_text)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    finally:
        engine.dispose()
