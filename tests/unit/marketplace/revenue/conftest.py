"""Books on a real database for the journal tests: one migrated app per module and backend
(SQLite; PostgreSQL too when ELX_TEST_DATABASE_URL is set) with two merchant organisations.
Tests post inside ``books`` (an app context) and everything is rolled back afterwards — the
posting functions never commit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from marketplace.accounts.models import Organization, OrgKind, OrgStatus, User
from marketplace.db import db
from tests.conftest import PG_URL, _truncate_all, make_app

MERCHANTS = ("org_merchantaaaaaaaaaa", "org_merchantbbbbbbbbbb")
T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def seed_merchants(app: Flask) -> None:
    with app.app_context():
        db.session.add(User(id="usr_revenueseed00000", email="seed@example.org",
                            display_name="seed", password_hash="x", created_at=T0))
        db.session.flush()
        for org in MERCHANTS:
            db.session.add(Organization(id=org, name=org, kind=OrgKind.data_developer,
                                        status=OrgStatus.approved,
                                        created_by="usr_revenueseed00000", created_at=T0))
        db.session.commit()


def books_app(request: pytest.FixtureRequest, backend: str, var: Path,
              sqlite_template: Path) -> Flask:
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("ELX_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
    else:
        shutil.copyfile(sqlite_template, var / "books.db")
        url = f"sqlite:///{var / 'books.db'}"
    app = make_app(var, url)
    seed_merchants(app)
    return app


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def books_module(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 sqlite_template: Path) -> Iterator[Flask]:
    app = books_app(request, request.param, tmp_path_factory.mktemp("books"), sqlite_template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def books(books_module: Flask) -> Iterator[Flask]:
    """An app context on the module's books; whatever the test posts is rolled back."""
    with books_module.app_context():
        try:
            yield books_module
        finally:
            db.session.rollback()
