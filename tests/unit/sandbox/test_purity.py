"""sandbox is a pure library: it never imports marketplace, ledger, contracts or Flask."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sandbox

FORBIDDEN = ("marketplace", "ledger", "contracts", "flask", "sqlalchemy", "werkzeug")
THIRD_PARTY = {"duckdb", "sqlglot", "opendp"}
PACKAGE = Path(sandbox.__file__).parent


def test_importing_sandbox_loads_nothing_forbidden():
    code = ("import sys, sandbox\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == ""


def test_modules_import_only_the_standard_library_the_engines_and_sandbox():
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
                assert top == "sandbox" or top in THIRD_PARTY | set(sys.stdlib_module_names), (
                    path.name, name)


def test_public_api_is_declared():
    for name in sandbox.__all__:
        assert hasattr(sandbox, name), name
    for module in PACKAGE.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "__all__" in text, module.name
        assert "from __future__ import annotations" in text, module.name
