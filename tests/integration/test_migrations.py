"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL
(issue 3, item 1): autogenerate finds nothing to change after ``upgrade head``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.store import metadata as ledger_metadata
from marketplace.db import Base, tune_engine
from marketplace.migrate import upgrade
from marketplace.models import import_all_models
from tests.conftest import PG_URL


def _declared() -> sa.MetaData:
    import_all_models()
    merged = sa.MetaData()
    for source in (Base.metadata, ledger_metadata):
        for table in source.tables.values():
            table.to_metadata(merged)
    return merged


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        tune_engine(engine)
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_migrations_match_models(fresh_engine: sa.Engine) -> None:
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _declared())
    assert diff == []


def test_upgrade_is_idempotent_and_creates_every_table(fresh_engine: sa.Engine) -> None:
    upgrade(fresh_engine)
    upgrade(fresh_engine)
    tables = set(sa.inspect(fresh_engine).get_table_names())
    assert set(_declared().tables) <= tables
    assert "alembic_version" in tables
