"""Tamper evidence: one changed row or byte anywhere in a stored log or an export makes
``python -m ledger verify`` fail and name the first bad entry."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.cli import main
from ledger.entry import Entry, EntryDraft
from ledger.export import write_export
from ledger.export_verify import verify_export
from ledger.merkle import leaf_hash
from ledger.note_keys import Signer
from ledger.schema import create_tables
from ledger.shape import node_key
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import verify_database
from ledger.walker import LogError

ORIGIN = "elx.test/log"
# A fixed log key (its ID e9f26867 has hex letters, which one test respells), a random witness.
LOG = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
WITNESS = Signer.generate("witness.test")
BATCHES = [10, 1, 1, 1, 20, 1, 1, 1, 1]  # 37 entries; checkpoints at 10-13 and 33-37
SIZE = sum(BATCHES)


def draft(i: int) -> EntryDraft:
    payload = {"price": i, "ccy": "CNY", "memo": "数据元件"}
    return EntryDraft("license.accepted", f"lic_{i}", "org_b", "usr_c", payload)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "ledger.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    install_sqlite_locking(engine)
    create_tables(engine)
    store = LedgerStore(ORIGIN, LOG, cosigners=[WITNESS])
    done = 0
    with engine.begin() as conn:
        for count in BATCHES:
            store.append_batch(conn, [draft(done + k) for k in range(count)])
            done += count
    engine.dispose()  # the last close folds the WAL into the file
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    path = tmp_path / "copy.db"
    shutil.copy(template, path)
    engine = sa.create_engine(f"sqlite:///{path}")
    yield f"sqlite:///{path}", engine
    engine.dispose()


def _flip_b64(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[10] ^= 0x40
    return base64.b64encode(bytes(raw)).decode()


def _resign_entry_with_prev(conn: sa.Connection, index: int) -> None:
    """Point entry ``index`` at a wrong predecessor and fix its leaf hash to match."""
    data = conn.execute(sa.text(f"SELECT entry FROM ledger_entries WHERE idx = {index}")).scalar()
    entry = Entry.from_bytes(bytes(data))
    forged = Entry(**{**entry.__dict__, "prev": "ab" * 32}).to_bytes()
    conn.execute(
        sa.text("UPDATE ledger_entries SET entry = :e, leaf_hash = :h WHERE idx = :i"),
        {"e": forged, "h": leaf_hash(forged), "i": index},
    )


def _sql(statement: str, **params: object) -> Callable[[sa.Connection], None]:
    return lambda conn: conn.execute(sa.text(statement), params)


def _note(size: int, change: Callable[[str], str]) -> Callable[[sa.Connection], None]:
    def apply(conn: sa.Connection) -> None:
        q = sa.text(f"SELECT note FROM ledger_checkpoints WHERE size = {size}")
        note = conn.execute(q).scalar()
        update = sa.text("UPDATE ledger_checkpoints SET note = :n WHERE size = :s")
        conn.execute(update, {"n": change(note), "s": size})

    return apply


def _signature(line: int) -> Callable[[str], str]:
    def change(note: str) -> str:
        lines = note.split("\n")
        prefix, blob = lines[line].rsplit(" ", 1)
        lines[line] = f"{prefix} {_flip_b64(blob)}"
        return "\n".join(lines)

    return change


CASES = {
    "payload": (5, _sql("UPDATE ledger_entries SET payload = CAST('{}' AS BLOB) WHERE idx = 5")),
    "entry bytes": (9, _sql("UPDATE ledger_entries SET entry = "
                            "CAST(replace(entry, 'lic_9', 'lic_8') AS BLOB) WHERE idx = 9")),
    "entry as text": (2, _sql("UPDATE ledger_entries SET entry = CAST(entry AS TEXT) "
                              "WHERE idx > 1")),
    # TEXT that is not UTF-8: the driver cannot even decode it (sqlite3 raises on the read)
    "entry as undecodable text": (3, _sql("UPDATE ledger_entries SET entry = "
                                          "CAST(entry || x'ff' AS TEXT) WHERE idx = 3")),
    "node hash as undecodable text": (15, _sql(
        "UPDATE ledger_nodes SET hash = CAST(x'ff' || hash AS TEXT) WHERE node_key = :k",
        k=node_key(2, 3))),
    "leaf hash": (12, _sql("UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE idx = 12")),
    "chain link": (20, lambda conn: _resign_entry_with_prev(conn, 20)),
    "node hash": (15, _sql("UPDATE ledger_nodes SET hash = zeroblob(32) WHERE node_key = :k",
                          k=node_key(2, 3))),
    "checkpoint root": (34, _sql("UPDATE ledger_checkpoints SET root_hash = zeroblob(32) "
                                 "WHERE size = 35")),
    "log signature": (10, _note(11, _signature(-3))),
    "witness signature": (32, _note(33, _signature(-2))),
    "note text": (35, _note(36, lambda n: n.replace("36\n", "35\n", 1))),
    "deleted entry": (17, _sql("DELETE FROM ledger_entries WHERE idx = 17")),
    "deleted node": (31, _sql("DELETE FROM ledger_nodes WHERE node_key = :k", k=node_key(5, 0))),
    "deleted last checkpoint": (36, _sql("DELETE FROM ledger_checkpoints WHERE size = 37")),
}


@pytest.mark.parametrize("case", CASES)
def test_verify_cli_names_the_tampered_entry(
    db: tuple[str, sa.Engine], case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, engine = db
    assert main(["verify", url]) == 0
    index, tamper = CASES[case]
    with engine.begin() as conn:
        tamper(conn)
    assert main(["verify", url, "--key", LOG.vkey]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"FAILED: entry {index}: "), err


def test_extra_rows_and_bad_published_keys_fail(db: tuple[str, sa.Engine]) -> None:
    _, engine = db
    extra_node = sa.text("INSERT INTO ledger_nodes VALUES (:k, zeroblob(32))")
    bad_key = sa.text("UPDATE ledger_keys SET vkey = replace(vkey, 'witness', 'witnesz')")
    for statement, problem in ((extra_node, "stored subtree hashes"), (bad_key, "published key")):
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(statement, {"k": node_key(9, 9)})
            with pytest.raises(LogError, match=problem):
                verify_database(conn)
            tx.rollback()


def test_python_m_ledger_verify_exits_nonzero_for_a_tampered_database(
    db: tuple[str, sa.Engine],
) -> None:
    url, engine = db
    with engine.begin() as conn:
        _resign_entry_with_prev(conn, 20)
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "verify", url], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "entry 20: chain link mismatch" in done.stderr


COLUMNS = [
    ("ledger_entries", "idx", "entry", SIZE),
    ("ledger_entries", "idx", "payload", SIZE),
    ("ledger_entries", "idx", "leaf_hash", SIZE),
    ("ledger_nodes", "node_key", "hash", None),
    ("ledger_checkpoints", "size", "root_hash", None),
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([*COLUMNS, "note"]), st.integers(0, 10**6), st.integers(1, 255))
def test_any_changed_byte_in_the_database_is_found(
    template: Path, column: object, position: int, xor: int
) -> None:
    engine = sa.create_engine(f"sqlite:///{template}")
    with engine.connect() as conn, conn.begin() as tx:
        if column == "note":
            keys = conn.execute(sa.text("SELECT size FROM ledger_checkpoints")).scalars().all()
            size = keys[position % len(keys)]
            q = sa.text(f"SELECT note FROM ledger_checkpoints WHERE size = {size}")
            note = conn.execute(q).scalar()
            i = position % len(note)
            changed = note[:i] + chr((ord(note[i]) ^ xor) % 0x7F or 1) + note[i + 1 :]
            if changed == note:
                changed = note[:i] + ("x" if note[i] != "x" else "y") + note[i + 1 :]
            conn.execute(sa.text("UPDATE ledger_checkpoints SET note = :n WHERE size = :s"),
                         {"n": changed, "s": size})
        else:
            table, key, name, _ = column  # type: ignore[misc]
            rows = conn.execute(sa.text(f"SELECT {key}, {name} FROM {table}")).all()
            row_key, value = rows[position % len(rows)]
            raw = bytearray(value)
            raw[position % len(raw)] ^= xor
            conn.execute(sa.text(f"UPDATE {table} SET {name} = :v WHERE {key} = :k"),
                         {"v": bytes(raw), "k": row_key})
        with pytest.raises(LogError):
            verify_database(conn)
        tx.rollback()  # the template stays intact
    engine.dispose()


@pytest.fixture(scope="module")
def export_bytes(template: Path) -> bytes:
    engine = sa.create_engine(f"sqlite:///{template}")
    out = io.StringIO()
    with engine.connect() as conn:
        write_export(conn, out)
    engine.dispose()
    return out.getvalue().encode()


def _export_lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def test_an_intact_export_verifies(export_bytes: bytes) -> None:
    report = verify_export(_export_lines(export_bytes), [LOG.verifier], ORIGIN)
    assert (report.size, report.checkpoints) == (SIZE, len(BATCHES))


def _protected_positions(data: bytes) -> list[int]:
    """Every byte except the informational key metadata (role, status, dates)."""
    out, offset = [], 0
    for line in _export_lines(data):
        if line.startswith(b'{"type":"key"'):
            start = line.index(b'"vkey":')
            end = line.index(b'","', start)
            out += range(offset + start, offset + end)
        else:
            out += range(offset, offset + len(line))
        offset += len(line)
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 255))
def test_any_changed_byte_in_an_export_is_found(export_bytes: bytes, pick: int, xor: int) -> None:
    positions = _protected_positions(export_bytes)
    raw = bytearray(export_bytes)
    raw[positions[pick % len(positions)]] ^= xor
    with pytest.raises(LogError):
        verify_export(_export_lines(bytes(raw)), [LOG.verifier])


def test_a_published_key_respelled_in_uppercase_hex_is_found(export_bytes: bytes) -> None:
    """Found by hypothesis: the key ID parses in either case, so only a canonical-form check
    notices that the published key's text was changed."""
    lines = _export_lines(export_bytes)
    key_line = next(i for i, line in enumerate(lines) if b'"type":"key"' in line)
    name, _, rest = lines[key_line].partition(b"+")
    key_id, _, tail = rest.partition(b"+")
    assert key_id != key_id.upper()
    lines[key_line] = name + b"+" + key_id.upper() + b"+" + tail
    with pytest.raises(LogError, match="canonical"):
        verify_export(lines, [LOG.verifier])


@pytest.mark.parametrize(
    ("index", "old", "new"),
    [
        (3, b'\\"price\\":3}', b'\\"price\\":4}'),  # the payload
        (7, b'"index":7,', b'"index":8,'),
        (12, b"lic_12", b"lic_13"),  # the entry
        (12, b"elx.test/log\\n13\\n", b"elx.test/log\\n14\\n"),  # a signed checkpoint
    ],
)
def test_verify_cli_names_the_entry_of_a_tampered_export(
    export_bytes: bytes,
    tmp_path: Path,
    index: int,
    old: bytes,
    new: bytes,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(export_bytes)
    assert main(["verify", str(path), "--key", LOG.vkey]) == 0
    assert old in export_bytes
    path.write_bytes(export_bytes.replace(old, new, 1))
    assert main(["verify", str(path), "--key", LOG.vkey]) == 1
    assert f"entry {index}" in capsys.readouterr().err
