"""The ledger's SQL tables (SQLAlchemy Core): one RFC 9162 Merkle log as rows.

Tables (module-level :data:`metadata`, names prefixed ``ledger_``): entries (index, canonical
entry bytes, payload bytes, RFC 9162 §2.1.1 leaf hash); nodes (every complete subtree hash above
the leaves, keyed by :func:`ledger.shape.node_key`); checkpoints (C2SP tlog-checkpoint signed
notes, one per append call); keys (the published C2SP signed-note verifier keys of the log and
its witnesses, current or retired). The service's Alembic migration creates these very tables:
their names, columns and constraint names are a contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "NAMING_CONVENTION",
    "checkpoints",
    "create_tables",
    "entries",
    "insert_many",
    "keys",
    "metadata",
    "nodes",
    "rowid_indexed",
    "stored_time",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
# SQLite: INTEGER PRIMARY KEY is the rowid itself (no second index), BIGINT elsewhere.
_Key = BigInteger().with_variant(Integer(), "sqlite")
_When = DateTime(timezone=True)

entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", _Key, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)
nodes = Table(
    "ledger_nodes",
    metadata,
    Column("node_key", _Key, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", _Key, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", _When, nullable=False),
)
keys = Table(
    "ledger_keys",
    metadata,
    Column("vkey", String(255), primary_key=True),
    Column("role", String(16), nullable=False),  # "log" | "witness"
    Column("status", String(16), nullable=False),  # "current" | "retired"
    Column("created_at", _When, nullable=False),
    Column("retired_at", _When, nullable=True),
)


def create_tables(bind: Engine | Connection) -> None:
    """Create the ledger tables if absent (the service uses its Alembic migrations instead)."""
    metadata.create_all(bind)


def insert_many(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """executemany of positional rows straight to the driver (Core's per-row parameter
    processing cost more than SQLite's own insert work); rows match ``table.columns``."""
    if not rows:
        return
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:
        raise NotImplementedError(f"driver paramstyle {conn.dialect.paramstyle!r}")
    name = conn.dialect.identifier_preparer.format_table(table)
    columns = ", ".join(table.columns.keys())
    marks = ", ".join([mark] * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {name} ({columns}) VALUES ({marks})", list(rows))  # noqa: S608


def stored_time(moment: datetime | None) -> str | None:
    """A stored timestamp as RFC 3339 text with its offset, None for None. Everything stored is
    UTC, but SQLite hands datetimes back naive."""
    if moment is None:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()


def rowid_indexed(conn: Connection) -> bool:
    """Whether the entries' ``idx`` is SQLite's rowid: the one primary-key column of a rowid
    table, declared INTEGER (SQLite "ROWID and the INTEGER PRIMARY KEY"; any other primary key
    has an index of origin "pk"). Every idx is then a distinct integer, so the rows read in idx
    order from [lo, hi) are idx lo, lo + 1, ... whenever there are hi - lo of them."""
    if conn.dialect.name != "sqlite":
        return False
    cursor = conn.connection.cursor()
    try:
        info = cursor.execute("PRAGMA table_info(ledger_entries)").fetchall()
        indexes = cursor.execute("PRAGMA index_list(ledger_entries)").fetchall()
    finally:
        cursor.close()
    keys = [(name, str(kind).upper()) for _, name, kind, _, _, pk in info if pk]
    return keys == [("idx", "INTEGER")] and all(row[3] != "pk" for row in indexes)
