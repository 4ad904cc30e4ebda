"""sandbox is a pure library: it never imports marketplace, ledger, contracts or Flask."""

from __future__ import annotations

from pathlib import Path

import sandbox
from tests.unit.purity import foreign_imports, loaded_forbidden, undeclared_api

FORBIDDEN = ("marketplace", "ledger", "contracts", "flask", "sqlalchemy", "werkzeug")
THIRD_PARTY = {"duckdb", "sqlglot", "opendp"}
PACKAGE = Path(sandbox.__file__).parent


def test_importing_sandbox_loads_nothing_forbidden():
    assert loaded_forbidden("import sandbox", FORBIDDEN, PACKAGE.parent) == []


def test_modules_import_only_the_standard_library_the_engines_and_sandbox():
    """Covers lazy imports inside functions too, which sys.modules would not show."""
    assert foreign_imports(sandbox, allowed=THIRD_PARTY) == []


def test_public_api_is_declared():
    assert undeclared_api(sandbox) == []
