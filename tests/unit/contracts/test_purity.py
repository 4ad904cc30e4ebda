"""contracts is a pure library: it never imports marketplace, ledger, Flask or a database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import contracts

FORBIDDEN = ("marketplace", "ledger", "flask", "sqlalchemy", "werkzeug", "sandbox")
PACKAGE = Path(contracts.__file__).parent


def test_importing_contracts_loads_nothing_forbidden():
    code = (
        "import sys, contracts, contracts.text, contracts.templates\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == ""


def test_modules_import_only_the_standard_library_and_contracts():
    """Covers lazy imports inside functions too, which sys.modules would not show."""
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "contracts" or top in sys.stdlib_module_names, (path.name, name)


def test_public_api_is_declared():
    for name in contracts.__all__:
        assert hasattr(contracts, name), name
    for module in PACKAGE.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "__all__" in text, module.name
        assert "from __future__ import annotations" in text, module.name
