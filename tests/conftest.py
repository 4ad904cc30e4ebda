"""Shared fixtures: an app on a fresh database per test (SQLite by default; PostgreSQL too when
``ELX_TEST_DATABASE_URL`` is set), and a small helper to drive the API as different users."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.db import db
from tests.openapi_validation import install

PG_URL = os.environ.get("ELX_TEST_DATABASE_URL", "")


def pg_admin_url() -> str:
    return PG_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, built once per worker and copied for every test."""
    from marketplace.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "elx.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    from marketplace.db import tune_engine

    tune_engine(engine)
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private PostgreSQL database for this worker, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    from marketplace.migrate import upgrade

    name = f"elx_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'")]
        if names:
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE")
    engine.dispose()


def make_app(tmp_path: Path, database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path / "var"),
        "SCRYPT_N": 2**10,
        "MAX_UPLOAD_BYTES": 4 << 20,
        "WORKER_THREADS": 0,
        "PAYMENTS_GATEWAY": "fake",  # tests choose; localstripe tests pass "stripe"
        "LEDGER_ORIGIN": "test.elx.example/ledger",
        "LEDGER_KEY_NAME": "test.elx.example/ledger",
    }
    config.update(overrides)
    return create_app(config)


def template_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path,
                 name: str) -> Flask:
    """An app over a copy of the migrated SQLite template, for a module-scoped world."""
    tmp = tmp_path_factory.mktemp(name)
    shutil.copyfile(sqlite_template, tmp / "elx.db")
    return make_app(tmp, f"sqlite:///{tmp / 'elx.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    return request.param


@pytest.fixture
def app_factory(tmp_path: Path, sqlite_template: Path,
                request: pytest.FixtureRequest) -> Iterator[Any]:
    """Build apps on a fresh database: ``app_factory(backend="sqlite", **config)``; their test
    clients validate every response against openapi.yaml unless ``validate_contract=False``."""
    apps: list[Flask] = []

    def build(backend: str = "sqlite", validate_contract: bool = True, **overrides: Any) -> Flask:
        if backend == "postgresql":
            url = request.getfixturevalue("pg_database")
            _truncate_all(url)
        else:
            target = tmp_path / f"elx-{len(apps)}.db"
            shutil.copyfile(sqlite_template, target)
            url = f"sqlite:///{target}"
        app = make_app(tmp_path, url, **overrides)
        if validate_contract:
            install(app)  # every /api/v1 response in the tests is checked against openapi.yaml
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Any) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
