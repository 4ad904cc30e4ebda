"""Tests for ``python -m ledger`` (ledger.cli): verify (database and export), export,
verify-receipt and keygen, with their exit statuses."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.cli import main
from ledger.entry import EntryDraft
from ledger.keys import load_signer
from ledger.merkle import fold_root
from ledger.note_keys import Signer
from ledger.schema import create_tables
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import resume_walker, verify_database, walk_range

ORIGIN = "elx.test/log"
SIGNER = Signer.generate(ORIGIN)


def draft(i: int) -> EntryDraft:
    return EntryDraft("valuation.recorded", f"val_{i}", "org_v", "usr_v", {"amount": i * 100})


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[str, sa.Engine, LedgerStore]]:
    path = tmp_path / "ledger.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    install_sqlite_locking(engine)
    create_tables(engine)
    store = LedgerStore(ORIGIN, SIGNER)
    with engine.begin() as conn:
        store.append_batch(conn, [draft(i) for i in range(40)])
        for i in range(40, 45):
            store.append(conn, draft(i))
    yield f"sqlite:///{path}", engine, store
    engine.dispose()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ledger", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_help_documents_every_sub_command() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in ("verify", "verify-receipt", "export", "keygen"):
        assert command in done.stdout


def test_verify_a_database_with_keys_given_inline_or_from_a_file(
    log: tuple[str, sa.Engine, LedgerStore], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _, _ = log
    keys = tmp_path / "keys.txt"
    keys.write_text(f"\n{SIGNER.vkey}\n")
    assert main(["verify", url, "--key", SIGNER.vkey, "--origin", ORIGIN]) == 0
    assert main(["verify", url, "--key", f"@{keys}"]) == 0
    out = capsys.readouterr().out
    assert f"OK: {ORIGIN}: 45 entries, 6 signed checkpoints" in out and "note:" not in out
    assert main(["verify", url]) == 0
    assert "trusted the log keys the log itself publishes" in capsys.readouterr().out
    assert main(["verify", url, "--origin", "elx.other/log"]) == 1
    assert "origin" in capsys.readouterr().err
    assert main(["verify", url, "--key", Signer.generate(ORIGIN).vkey]) == 1
    assert main(["verify", url, "--key", "not-a-key"]) == 2


def test_walking_ranges_separately_checks_what_one_walk_checks(
    log: tuple[str, sa.Engine, LedgerStore],
) -> None:
    _, engine, _ = log
    with engine.connect() as conn:
        whole = verify_database(conn, [SIGNER.verifier])
        for cut in range(1, 45):  # every split point: two ranges, the second resumed from storage
            first = resume_walker(conn, 0, published=[], trusted=[SIGNER.verifier])
            walk_range(conn, first, cut)
            second = resume_walker(conn, cut, published=[], trusted=[SIGNER.verifier])
            walk_range(conn, second, 45)
            assert fold_root(second.stack) == whole.root_hash
            assert first.stored_nodes + second.stored_nodes == whole.stored_nodes
            assert first.checkpoints + second.checkpoints == whole.checkpoints


def test_parallel_verification_reports_the_first_error(
    log: tuple[str, sa.Engine, LedgerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    url, engine, _ = log
    with engine.begin() as conn:  # entry 33 sits in the second of two ranges
        conn.execute(sa.text("UPDATE ledger_entries SET payload = X'00' WHERE idx IN (33, 44)"))
    assert main(["verify", url, "--jobs", "2"]) == 1
    assert capsys.readouterr().err.startswith("FAILED: entry 33: payload digest mismatch")


def test_export_then_verify_the_file(
    log: tuple[str, sa.Engine, LedgerStore], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _, _ = log
    out = tmp_path / "ledger.jsonl"
    assert main(["export", url, str(out)]) == 0
    assert "exported 45 entries and 6 checkpoints" in capsys.readouterr().err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["type"] for line in lines[:2]] == ["header", "key"]
    assert lines[-1] == {"type": "end", "size": 45, "checkpoints": 6}
    assert main(["verify", str(out), "--key", SIGNER.vkey]) == 0
    assert "OK: elx.test/log: 45 entries, 6 signed checkpoints" in capsys.readouterr().out
    assert main(["export", url, "-"]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
    out.write_text("".join(out.read_text().splitlines(keepends=True)[:-1]))  # drop the end line
    assert main(["verify", str(out)]) == 1
    assert "truncated" in capsys.readouterr().err


def test_verify_receipt_needs_only_the_receipt_and_the_key(
    log: tuple[str, sa.Engine, LedgerStore], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, engine, store = log
    with engine.begin() as conn:
        receipt = store.receipt(conn, 17)
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    other = Signer.generate("other.example").vkey
    done = run("verify-receipt", str(path), "--key", other, "--key", SIGNER.vkey)
    assert done.returncode == 0, done.stderr
    assert "entry 17 (valuation.recorded val_17)" in done.stdout
    receipt["inclusion_proof"].reverse()
    path.write_text(json.dumps(receipt))
    assert main(["verify-receipt", str(path), "--key", SIGNER.vkey]) == 1
    assert capsys.readouterr().err.startswith("FAILED: inclusion proof")
    with pytest.raises(SystemExit) as usage:
        main(["verify-receipt", str(path)])  # --key is required
    assert usage.value.code == 2


def test_keygen_writes_a_private_key_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.pem"
    assert main(["keygen", ORIGIN, str(path)]) == 0
    vkey = capsys.readouterr().out.strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signer(ORIGIN, path=path).vkey == vkey
    assert main(["keygen", ORIGIN, str(path)]) == 2


def test_unusable_sources_are_errors_not_verdicts(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert main(["verify", f"sqlite:///{missing}"]) == 2
    assert not missing.exists()  # no empty database created by mistake
    no_tables = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{no_tables}").connect().close()
    assert main(["verify", f"sqlite:///{no_tables}"]) == 2
    assert main(["verify", str(tmp_path / "missing.jsonl")]) == 2


def test_an_empty_log_verifies_and_exports(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    create_tables(engine)
    engine.dispose()
    out = tmp_path / "empty.jsonl"
    assert main(["verify", f"sqlite:///{path}"]) == 0
    assert main(["export", f"sqlite:///{path}", str(out)]) == 0
    assert main(["verify", str(out)]) == 0
