"""contracts is a pure library: it never imports marketplace, ledger, Flask or a database."""

from __future__ import annotations

from pathlib import Path

import contracts
from tests.unit.purity import foreign_imports, loaded_forbidden, undeclared_api

FORBIDDEN = ("marketplace", "ledger", "flask", "sqlalchemy", "werkzeug", "sandbox")
PACKAGE = Path(contracts.__file__).parent


def test_importing_contracts_loads_nothing_forbidden():
    assert loaded_forbidden("import contracts, contracts.text, contracts.templates", FORBIDDEN,
                            PACKAGE.parent) == []


def test_modules_import_only_the_standard_library_and_contracts():
    """Covers lazy imports inside functions too, which sys.modules would not show."""
    assert foreign_imports(contracts, allowed=set()) == []


def test_public_api_is_declared():
    assert undeclared_api(contracts) == []
