"""Tests for ledger.scan_batch, the column-at-a-time fast path: it must never accept what the
reference loop (``LogWalker.reference_entries``, ENTRY_RE) refuses, must accept ordinary valid
runs (else it would be no fast path), and must build the same tree.

Oracles: the reference loop on the same rows; :func:`ledger.merkle.push_leaf` for the tree;
a fullmatch per piece for the joined-column subject test.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entry import ENTRY_RE, GENESIS_PREV, Entry
from ledger.levels import from_mapping, new_levels
from ledger.merkle import leaf_hash, push_leaf
from ledger.scan import Seen, scan
from ledger.scan_batch import (
    BOUNDARY_RE,
    QUOTED,
    index_column,
    scan_batch,
    subjects_ok,
    tree_levels,
)
from ledger.schema import create_tables, rowid_indexed
from ledger.shape import node_key
from ledger.verify import verify_database
from ledger.walker import LogError, LogWalker
from tests.unit.ledger.test_entry import ENTRIES
from tests.unit.ledger.test_scan import Row, one_byte_changed, small_log, valid_log, valid_logs

# Identifiers without a comma: runs of these split in columns, so the deep checks are reached.
PLAIN = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\,'),
    min_size=1,
    max_size=12,
)
MOMENT = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
PLAIN_ENTRIES = st.builds(
    Entry,
    index=st.just(0),
    kind=st.sampled_from(["a.b", "asset.version.registered"]),
    subject=PLAIN,
    actor_org=PLAIN,
    actor_user=st.none() | PLAIN,
    timestamp=st.sampled_from([MOMENT, MOMENT.replace(second=6)]),
    payload_sha256=st.just("0" * 64),
    prev=st.just(GENESIS_PREV),
)


def _batch(rows: list[Row], positional: bool = False) -> bytes | None:
    shaped = [row[1:] for row in rows] if positional else rows
    try:
        return scan_batch(shaped, 0, bytes(32), [], new_levels(), Seen(), positional)
    except (TypeError, ValueError, AttributeError, IndexError):
        return None  # what ledger.scan.scan makes of it: look closer


def _reference(rows: list[Row]) -> bool:
    try:
        LogWalker([]).reference_entries(rows)
    except LogError:
        return False
    return True


@given(valid_logs(PLAIN_ENTRIES, 8), st.booleans())
def test_valid_runs_take_the_batch_path_with_the_reference_tree(
    rows: list[Row], positional: bool
) -> None:
    stack: list[bytes] = []
    levels = new_levels()
    shaped = [row[1:] for row in rows] if positional else rows
    assert scan_batch(shaped, 0, bytes(32), stack, levels, Seen(), positional) == rows[-1][3]
    walker = LogWalker([])
    walker.reference_entries(rows)
    assert stack == walker.stack
    expected = new_levels()
    reference: list[bytes] = []
    for index, row in enumerate(rows):
        for level, _, h in push_leaf(reference, index, row[3]):
            expected[level].append(h)
    assert levels == expected


@given(valid_logs(ENTRIES, 8))
def test_any_valid_run_is_accepted_by_scan(rows: list[Row]) -> None:
    """Values with commas do not split in columns: scan goes entry by entry instead."""
    assert scan(rows, 0, bytes(32), [], None, Seen()) == rows[-1][3]


@settings(max_examples=300, deadline=None)
@given(valid_logs(PLAIN_ENTRIES | ENTRIES, 8), st.data())
def test_a_changed_byte_anywhere_is_never_accepted(rows: list[Row], data: st.DataObject) -> None:
    """One byte set, inserted or deleted in any column of any row (leaf hash rewritten to match
    half the time, so only the parse and the values can tell)."""
    k, column, raw = one_byte_changed(rows, data)
    changed = list(rows[k])
    changed[column] = raw
    if column == 1 and data.draw(st.booleans()):
        changed[3] = leaf_hash(raw)
    mutated = [*rows[:k], (changed[0], changed[1], changed[2], changed[3]), *rows[k + 1 :]]
    if _batch(mutated, data.draw(st.booleans())) is not None:
        assert _reference(mutated)


@settings(max_examples=200, deadline=None)
@given(valid_logs(PLAIN_ENTRIES, 8), st.binary(max_size=60), st.data())
def test_spliced_bytes_are_never_accepted(
    rows: list[Row], junk: bytes, data: st.DataObject
) -> None:
    """Mostly canonical bytes with arbitrary insides, the leaf hash rewritten to match."""
    k = data.draw(st.integers(0, len(rows) - 1))
    good = rows[k][1]
    cut = data.draw(st.integers(0, len(good)))
    span = data.draw(st.integers(0, len(good) - cut))
    spliced = good[:cut] + junk + good[cut + span :]
    mutated = [*rows[:k], (k, spliced, rows[k][2], leaf_hash(spliced)), *rows[k + 1 :]]
    if _batch(mutated) is not None:
        assert _reference(mutated)


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: [(r[0] + 1, *r[1:]) for r in rows],  # indices shifted
        lambda rows: [(r[0], r[1].decode(), *r[2:]) for r in rows],  # an entry as text
        lambda rows: [(r[0], r[1], bytearray(r[2]), r[3]) for r in rows],  # another buffer type
        lambda rows: [(*r[:3], memoryview(r[3])) for r in rows],  # equal, but not bytes
        lambda rows: [(*r[:3], None) for r in rows],  # no stored leaf hash
        lambda rows: [(*r[:3], r[3].hex()) for r in rows],  # the leaf hash as hex
        lambda rows: [_rewritten(r, r[1] + b"\n") for r in rows],  # a newline in each entry
        lambda rows: [_rewritten(r, r[1].replace(b'"s"', b'"s\n"')) for r in rows],
    ],
)
def test_rows_of_another_shape_take_the_reference_path(change: object) -> None:
    rows = valid_log([_plain()] * 3, [b"{}"] * 3)
    assert _batch(rows) is not None
    assert _batch(change(rows)) is None  # type: ignore[operator]


def test_values_with_commas_do_not_split_in_columns_but_scan_accepts_them() -> None:
    entry = Entry(0, "a.b", "s, t", "o,", "u", MOMENT, "0" * 64, GENESIS_PREV)
    rows = valid_log([entry] * 3, [b"{}"] * 3)
    assert _batch(rows) is None
    assert scan(rows, 0, bytes(32), [], None, Seen()) == rows[-1][3]


def test_a_run_further_in_the_log_resumes_from_its_stack() -> None:
    head = valid_log([_plain()] * 13, [b"x"] * 13)
    stack: list[bytes] = []
    for index, row in enumerate(head):
        push_leaf(stack, index, row[3])
    tail = valid_log([_plain()] * 6, [b"y"] * 6, start=13, prev=head[-1][3])
    levels = new_levels()
    mine = stack[:]
    assert scan_batch(tail, 13, head[-1][3], mine, levels, Seen()) == tail[-1][3]
    for index, row in enumerate(tail, 13):
        push_leaf(stack, index, row[3])
    assert mine == stack


def _rewritten(row: Row, data: bytes) -> Row:
    return (row[0], data, row[2], leaf_hash(data))


def _plain() -> Entry:
    return Entry(0, "a.b", "s", "o", "u", MOMENT, "0" * 64, GENESIS_PREV)


SUBJECT_PIECES = st.lists(
    st.binary(max_size=12).map(lambda b: b'"subject":"' + b + b'"')
    | st.binary(max_size=16)
    | st.sampled_from(
        [b'"subject":""', b'"subject":"a"\n"subject":"b"', b'"subject":"' + b"x" * 257 + b'"']
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=500)
@given(SUBJECT_PIECES)
def test_the_subject_column_test_is_a_fullmatch_per_piece(pieces: list[bytes]) -> None:
    assert subjects_ok(pieces) == all(QUOTED[6].fullmatch(piece) for piece in pieces)


@given(st.binary(max_size=40))
def test_the_boundary_pattern_is_an_end_a_newline_and_an_org_piece(data: bytes) -> None:
    end, newline, org = data.partition(b"\n")
    expected = bool(newline) and end == b'"v":1}' and QUOTED[0].fullmatch(org) is not None
    assert (BOUNDARY_RE.fullmatch(data) is not None) == expected


def test_quoted_members_are_the_entry_grammar_joined_by_commas() -> None:
    assert ENTRY_RE.pattern == b",".join(p.pattern for p in QUOTED)


@given(st.integers(0, 300), st.integers(1, 300))
def test_tree_levels_equals_pushing_leaves_one_by_one(start: int, n: int) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(start + n)]
    stack: list[bytes] = []
    for index in range(start):
        push_leaf(stack, index, leaves[index])
    tree, completed = tree_levels(leaves[start:], start, stack)
    expected: dict[int, list[bytes]] = {}
    for index in range(start, start + n):
        for level, _, h in push_leaf(stack, index, leaves[index]):
            expected.setdefault(level, []).append(h)
    assert tree == stack
    assert {k + 1: v for k, v in enumerate(completed) if v} == expected


def test_from_mapping_wants_each_stored_hash_whole() -> None:
    """Two stored hashes of 31 and 33 bytes concatenate to the right bytes, yet both are wrong."""
    a, b = hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()
    stored = from_mapping({node_key(1, 0): a[:31], node_key(1, 1): a[31:] + b})
    assert not stored(1, range(0, 2), a + b)
    assert from_mapping({node_key(1, 0): a, node_key(1, 1): b})(1, range(0, 2), a + b)


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        (None, True),  # ledger.schema's own table
        ("CREATE TABLE ledger_entries (idx INTEGER PRIMARY KEY DESC, entry BLOB)", False),
        ("CREATE TABLE ledger_entries (idx INTEGER PRIMARY KEY, entry BLOB) WITHOUT ROWID", False),
        ("CREATE TABLE ledger_entries (idx BIGINT PRIMARY KEY, entry BLOB)", False),
        ("CREATE TABLE ledger_entries (idx INTEGER, entry BLOB)", False),
        ("CREATE TABLE ledger_entries (idx integer, entry BLOB, PRIMARY KEY (idx))", True),
    ],
)
def test_rowid_indexed_recognises_only_a_rowid_alias(ddl: str | None, expected: bool) -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        if ddl is None:
            create_tables(conn)
        else:
            conn.exec_driver_sql(ddl)
        assert rowid_indexed(conn) is expected


@pytest.fixture
def db(tmp_path: Path) -> sa.Engine:
    return small_log(tmp_path / "ledger.db", 40)


def _verdict(engine: sa.Engine) -> tuple[int | None, str] | None:
    try:
        with engine.connect() as conn:
            verify_database(conn, chunk=32)
    except LogError as exc:
        return exc.index, str(exc)
    return None


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE ledger_nodes SET hash = CAST(hash || x'00' AS BLOB) "
        f"WHERE node_key = {node_key(1, 3)}",
        f"UPDATE ledger_nodes SET hash = CAST(substr(hash, 2) || x'00' AS BLOB) "
        f"WHERE node_key = {node_key(2, 5)}",
        f"UPDATE ledger_nodes SET hash = (SELECT hash FROM ledger_nodes WHERE node_key = "
        f"{node_key(1, 1)}) WHERE node_key = {node_key(1, 0)}",
        f"UPDATE ledger_nodes SET hash = lower(hex(hash)) WHERE node_key = {node_key(3, 2)}",
        f"UPDATE ledger_nodes SET hash = zeroblob(32) WHERE node_key = {node_key(1, 20)}",
        f"DELETE FROM ledger_nodes WHERE node_key = {node_key(4, 1)}",
        f"INSERT INTO ledger_nodes VALUES ({node_key(1, 500)}, zeroblob(32))",
        "DELETE FROM ledger_entries WHERE idx = 33",
        "UPDATE ledger_entries SET idx = 1000 WHERE idx = 69",
        "UPDATE ledger_entries SET leaf_hash = CAST(leaf_hash || x'00' AS BLOB) WHERE idx = 12",
        "UPDATE ledger_entries SET payload = CAST(payload || x'20' AS BLOB) WHERE idx = 50",
        "UPDATE ledger_entries SET entry = CAST(entry AS TEXT) WHERE idx = 5",
        "UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), 's7', 's,7') AS BLOB)"
        " WHERE idx = 7",
        "UPDATE ledger_checkpoints SET root_hash = zeroblob(32) WHERE size = 40",
    ],
)
def test_the_fast_path_names_what_the_reference_walk_names(
    db: sa.Engine, statement: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each fault, found with the fast paths on and with the reference walk alone."""
    with db.begin() as conn:
        conn.exec_driver_sql(statement)
    fast = _verdict(db)
    monkeypatch.setattr(LogWalker, "fast_entries", lambda *_, **__: False)
    assert fast == _verdict(db)
    assert fast is not None


@given(
    start=st.one_of(st.integers(0, 10**16 - 1000), st.integers(0, 10**13).map(lambda p: p * 1000)),
    n=st.one_of(st.just(1000), st.integers(1, 1100)),
)
def test_the_index_column_is_the_numbers_rendered_one_by_one(start: int, n: int) -> None:
    expected = b"\n".join(b'"index":' + str(k).encode() for k in range(start, start + n))
    assert index_column(start, n) == expected
