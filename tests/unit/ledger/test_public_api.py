"""The ledger's import paths: the public API fixed in DESIGN.md ("The ledger library") and the
names the service imports keep working after modules are split, and every module's ``__all__``
names exactly the public functions and classes it defines or deliberately re-exports.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import ledger

# (module, names): DESIGN.md's fixed API, then what marketplace/ imports (grep "from ledger").
STABLE_IMPORTS = [
    ("ledger.merkle", ["leaf_hash", "node_hash", "root_hash", "inclusion_proof",
                       "consistency_proof"]),
    ("ledger.proof", ["verify_inclusion", "verify_consistency"]),
    ("ledger.note", ["Signer", "Verifier", "sign_note", "open_note"]),
    ("ledger", ["VerificationError"]),
    ("ledger.store", ["LedgerStore", "metadata", "install_sqlite_locking", "create_tables"]),
    ("ledger.entry", ["EntryDraft", "Entry"]),
    ("ledger.export", ["write_export"]),
    ("ledger.keys", ["load_or_create_signer", "load_signer"]),
    ("ledger.receipt", ["verify_receipt", "make_receipt"]),
    ("ledger.checkpoint", ["open_checkpoint", "sign_checkpoint", "Checkpoint"]),
    ("ledger.walker", ["LogError", "LogWalker", "VerifyReport"]),
]
# Where a re-exported name is defined: the re-export must be that very object.
HOMES = {
    ("ledger.note", "Signer"): "ledger.note_keys",
    ("ledger.note", "Verifier"): "ledger.note_keys",
    ("ledger.store", "metadata"): "ledger.schema",
    ("ledger.store", "create_tables"): "ledger.schema",
    ("ledger.store", "install_sqlite_locking"): "ledger.transactions",
    ("ledger.walker", "LogError"): "ledger.walk_report",
    ("ledger.walker", "VerifyReport"): "ledger.walk_report",
}
MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(ledger.__path__, "ledger.")
    if info.name != "ledger.__main__"  # running it is the CLI
)


@pytest.mark.parametrize(("module", "names"), STABLE_IMPORTS)
def test_stable_imports_resolve(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    for name in names:
        assert name in mod.__all__, f"{module}.{name} is not exported"
        obj = getattr(mod, name)
        home = HOMES.get((module, name))
        if home is not None:
            assert obj is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize("module", MODULES)
def test_all_is_accurate(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(mod.__all__)
    missing = [name for name in exported if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it lacks: {missing}"
    defined = {
        name
        for name, obj in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module
    }
    assert defined <= exported, f"{module} defines public {sorted(defined - exported)}"
    foreign = {
        name
        for name in exported
        if (inspect.isfunction(getattr(mod, name)) or inspect.isclass(getattr(mod, name)))
        and getattr(mod, name).__module__ != module
    }
    allowed = {name for (where, name) in HOMES if where == module}
    if module == "ledger":  # the package re-exports its submodules' main names
        allowed = foreign
    assert foreign <= allowed, f"{module} re-exports {sorted(foreign - allowed)}"
