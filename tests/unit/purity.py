"""Shared checks that a package is a pure library (contracts, sandbox): importing it loads none
of the forbidden top-level packages, and no module (lazy imports included) imports anything but
the standard library, itself and the third-party engines it is allowed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType


def loaded_forbidden(import_line: str, forbidden: tuple[str, ...], cwd: Path) -> list[str]:
    """Top-level modules from ``forbidden`` in ``sys.modules`` after running ``import_line``."""
    code = (f"import sys\n{import_line}\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=cwd)
    return [name for name in out.stdout.strip().split(",") if name]


def foreign_imports(package: ModuleType, allowed: set[str]) -> list[tuple[str, str]]:
    """(module file, imported name) for every import outside stdlib, the package and ``allowed``."""
    root = Path(package.__file__ or "").parent
    own = package.__name__
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [(path.name, name) for name in names
                      if name.split(".")[0] not in {own, *allowed, *sys.stdlib_module_names}]
    return found


def undeclared_api(package: ModuleType) -> list[str]:
    """Names in ``__all__`` that do not exist, and modules lacking ``__all__`` or
    ``from __future__ import annotations``."""
    problems = [name for name in package.__all__ if not hasattr(package, name)]
    for module in Path(package.__file__ or "").parent.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        if "__all__" not in text or "from __future__ import annotations" not in text:
            problems.append(module.name)
    return problems
