"""Database wiring: one Flask-SQLAlchemy instance, one declarative base, engine tuning.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` (via :func:`ledger.store.install_sqlite_locking`) so that a transaction which
reads and then writes (every service does) can never fail with SQLITE_BUSY_SNAPSHOT; writers
queue on ``busy_timeout`` instead (https://www.sqlite.org/lang_transaction.html).
PostgreSQL needs nothing special here; the ledger takes its own advisory lock.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from ledger.schema import NAMING_CONVENTION
from ledger.store import install_sqlite_locking


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def enum_column(cls: type[enum.Enum]) -> Enum:
    """A portable enum column: the member's value in VARCHAR(32), validated by SQLAlchemy on
    the way in and out (no native PostgreSQL ENUM type to migrate)."""
    return Enum(cls, name=cls.__name__.lower(), native_enum=False, length=32,
                validate_strings=True)


def engine_options(url: str) -> dict[str, Any]:
    """Engine keyword arguments for ``url`` (SQLite needs a longer lock wait)."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def tune_engine(engine: Engine) -> None:
    """Install per-dialect connection settings once: on SQLite the ledger's locking recipe
    (driver autocommit, ``BEGIN IMMEDIATE``, WAL, busy_timeout) plus foreign keys."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_elx_tuned", False):
        return
    install_sqlite_locking(engine)
    engine._elx_tuned = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")  # the ledger must survive power loss
        # A 64 MiB page cache (SQLite's default is 2 MiB), filled only as pages are read: a
        # catalog search over 100k listings re-reads posting and facet index pages that the
        # default cache evicts (multi-word searches 20-50% faster, bench/catalog_bench.py).
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps naive text; we store UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
