"""Tests for ledger.scan, the walker's fast path: it must accept exactly what the reference loop
(``LogWalker.reference_entries``, ENTRY_RE) accepts, and the database walk must still name the
first bad index whichever path finds the fault.

The oracle is the reference loop itself, run on the same rows from the same state; canonical
entries come from ``Entry.to_bytes`` (itself checked against the rfc8785 package in
test_entry.py).
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entry import ENTRY_RE, GENESIS_PREV, PIECE_RES, PIECE_SEP, Entry, EntryDraft
from ledger.export import write_export
from ledger.export_verify import verify_export
from ledger.levels import from_mapping, levels_match, new_levels
from ledger.merkle import leaf_hash, root_hash
from ledger.note_keys import Signer
from ledger.scan import Seen, scan
from ledger.schema import create_tables
from ledger.shape import node_key
from ledger.store import LedgerStore
from ledger.transactions import install_sqlite_locking
from ledger.verify import verify_database
from ledger.walker import LogError, LogWalker
from tests.unit.ledger.test_entry import ENTRIES

Row = tuple[int, bytes, bytes, bytes]


def valid_log(
    entries: list[Entry], payloads: list[bytes], start: int = 0, prev: bytes = bytes(32)
) -> list[Row]:
    """Rows of a valid run of a log holding ``entries``' fields, from index ``start`` after
    leaf ``prev`` (the empty log's: zeros): re-indexed, re-chained, re-digested."""
    rows, link = [], prev.hex()
    for index, (entry, payload) in enumerate(zip(entries, payloads, strict=True), start):
        digest = hashlib.sha256(payload).hexdigest()
        fixed = Entry(**{**entry.__dict__, "index": index, "prev": link, "payload_sha256": digest})
        data = fixed.to_bytes()
        rows.append((index, data, payload, leaf_hash(data)))
        link = leaf_hash(data).hex()
    return rows


def valid_logs(entries: st.SearchStrategy[Entry], max_size: int) -> st.SearchStrategy[list[Row]]:
    """Valid logs of 1..``max_size`` entries drawn from ``entries``, with random payloads."""
    return st.lists(entries, min_size=1, max_size=max_size).flatmap(
        lambda es: st.lists(st.binary(max_size=30), min_size=len(es), max_size=len(es)).map(
            lambda payloads: valid_log(es, payloads)
        )
    )


LOGS = valid_logs(ENTRIES, 6)


def small_log(path: Path, batched: int) -> sa.Engine:
    """A 70-entry SQLite log at ``path``: ``batched`` entries appended as one batch, the rest
    one by one (checkpoints after each)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    install_sqlite_locking(engine)
    create_tables(engine)
    store = LedgerStore("elx.test/log", Signer.generate("elx.test/log"))
    drafts = [EntryDraft("x.y", f"s{i}", "o", None if i % 3 else "u", {"i": i}) for i in range(70)]
    with engine.begin() as conn:
        store.append_batch(conn, drafts[:batched])
        for draft in drafts[batched:]:
            store.append(conn, draft)
    return engine


def _verdicts(rows: list[Row]) -> tuple[bool, bool]:
    """(fast path accepts, reference loop accepts) for ``rows`` from the empty log."""
    stack: list[bytes] = []
    fast = scan(rows, 0, bytes(32), stack, None, Seen()) is not None
    try:
        LogWalker([]).reference_entries(rows)
    except LogError:
        return fast, False
    return fast, True


def test_entry_re_is_the_pieces_joined() -> None:
    assert ENTRY_RE.pattern == PIECE_SEP.join(p.pattern for p in PIECE_RES)


@given(LOGS)
def test_valid_logs_pass_both_paths_with_the_same_tree(rows: list[Row]) -> None:
    stack: list[bytes] = []
    levels = new_levels()
    assert scan(rows, 0, bytes(32), stack, levels, Seen()) == rows[-1][3]
    walker = LogWalker([])
    walker.reference_entries(rows)
    assert stack == walker.stack
    assert walker.report(0).root_hash == root_hash([r[1] for r in rows])
    # every subtree completed is reported, by level, in order
    assert sum(map(len, levels)) == len(rows) - bin(len(rows)).count("1")


def one_byte_changed(rows: list[Row], data: st.DataObject) -> tuple[int, int, bytes]:
    """(row, column, new value): one byte set, inserted or deleted in the entry, payload or
    leaf hash of one row."""
    k = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from([1, 2, 3]))
    raw = bytearray(rows[k][column])
    kind = data.draw(st.sampled_from(["set", "insert", "delete"]) if raw else st.just("insert"))
    at = data.draw(st.integers(0, max(len(raw) - (kind != "insert"), 0)))
    if kind == "delete":
        del raw[at]
    elif kind == "set":
        raw[at] = data.draw(st.integers(0, 255))
    else:
        raw.insert(at, data.draw(st.integers(0, 255)))
    return k, column, bytes(raw)


@settings(max_examples=200, deadline=None)
@given(LOGS, st.data())
def test_the_fast_path_never_accepts_what_the_reference_rejects(
    rows: list[Row], data: st.DataObject
) -> None:
    """Any one-byte change, insertion or deletion in any column of any row."""
    k, column, raw = one_byte_changed(rows, data)
    changed = list(rows[k])
    changed[column] = raw
    mutated: list[Row] = [
        *rows[:k],
        (changed[0], changed[1], changed[2], changed[3]),
        *rows[k + 1 :],
    ]
    fast, reference = _verdicts(mutated)
    assert fast == reference
    if raw != rows[k][column]:
        assert not reference  # every change is found (by a digest or the strict parse)


@settings(max_examples=300, deadline=None)
@given(LOGS, st.data())
def test_a_rewritten_entry_gets_the_same_verdict_from_the_parse(
    rows: list[Row], data: st.DataObject
) -> None:
    """One byte of one entry changed and its stored leaf hash rewritten to match: only the
    strict parse and the pieces' values (index, digest, link) can tell."""
    k = data.draw(st.integers(0, len(rows) - 1))
    raw = bytearray(rows[k][1])
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] = data.draw(st.integers(0, 255))
    changed = bytes(raw)
    mutated = [*rows[:k], (k, changed, rows[k][2], leaf_hash(changed))]
    assert _verdicts(mutated)[0] == _verdicts(mutated)[1]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_arbitrary_bytes_get_the_same_verdict(data: bytes, splice: bool) -> None:
    if splice:  # mostly canonical bytes with random insides, to reach the deeper checks
        good = valid_log([_entry()], [b"{}"])[0][1]
        cut = len(data) % len(good)
        data = good[:cut] + data[: len(data) // 4] + good[cut + len(data) // 4 :]
    fast, reference = _verdicts([(0, data, b"{}", leaf_hash(data))])
    assert fast == reference


def _entry(user: str | None = "u") -> Entry:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    return Entry(0, "a.b", "s", "o", user, moment, "0" * 64, GENESIS_PREV)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"user":"u"', b'"user":null'),  # still canonical: both paths accept
        (b'"s"', b'"s,\\"x"'),  # a quote (escaped) inside the subject
        (b'"s"', b'"s\\u0001"'),
        (b'"o"', b'"o\x7f"'),  # DEL
        (b'"o"', b'"\xc3\xa9"'),  # non-ASCII
        (b'"a.b"', b'"A.b"'),
        (b"05.000006Z", b"05.000006z"),
        (b"2026-01-02", b"2026-02-30"),  # no such day: the date parse, not the grammar
        (b'"v":1}', b'"v":1} '),
        (b'"o"', b'"o,"'),  # canonical, though ',"' then splits it in ten
        (b'"s"', b'"s,"'),
    ],
)
def test_edge_cases_get_the_same_verdict(old: bytes, new: bytes) -> None:
    data = valid_log([_entry()], [b"{}"])[0][1]
    assert old in data
    changed = data.replace(old, new, 1)
    fast, reference = _verdicts([(0, changed, b"{}", leaf_hash(changed))])
    assert fast == reference
    assert reference == (new in (b'"user":null', b'"o,"', b'"s,"'))


def test_the_seen_cache_only_remembers_pieces_that_matched() -> None:
    seen = Seen()
    good, bad = b'{"actor":{"org":"o"', b'{"actor":{"org":"o\\"'
    assert not seen.learn(seen.orgs, bad, PIECE_RES[0])
    assert seen.learn(seen.orgs, good, PIECE_RES[0])
    assert seen.orgs == {good}
    assert not seen.learn(seen.stamps, b'ts":"2026-02-30T00:00:00.000000Z"', PIECE_RES[7])
    seen.LIMIT = 1
    assert seen.learn(seen.orgs, b'{"actor":{"org":"p"', PIECE_RES[0])
    assert len(seen.orgs) == 1  # bounded


def test_levels_match_needs_every_stored_subtree_equal() -> None:
    rows = valid_log([_entry()] * 6, [b"{}"] * 6)
    levels = new_levels()
    scan(rows, 0, bytes(32), [], levels, Seen())
    stored = {node_key(level, j): h for level in range(1, 3) for j, h in enumerate(levels[level])}
    assert levels_match(levels, 0, 6, from_mapping(stored))
    for key in stored:
        assert not levels_match(levels, 0, 6, from_mapping({**stored, key: bytes(32)}))
        assert not levels_match(
            levels, 0, 6, from_mapping({k: stored[k] for k in stored if k != key})
        )
    levels[1].append(bytes(32))  # one more than the leaves complete
    assert not levels_match(levels, 0, 6, from_mapping(stored))


@pytest.fixture
def db(tmp_path: Path) -> sa.Engine:
    return small_log(tmp_path / "ledger.db", 50)


def test_a_valid_log_takes_the_fast_path_only(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the reference loop ran on a valid log")

    monkeypatch.setattr(LogWalker, "reference_entries", refuse)
    with db.connect() as conn:
        report = verify_database(conn, chunk=16)  # several chunks, checkpoints inside them
    assert (report.size, report.checkpoints) == (70, 21)


@pytest.mark.parametrize(
    ("index", "statement"),
    [
        (15, f"UPDATE ledger_nodes SET hash = '{'x' * 32}' WHERE node_key = {node_key(4, 0)}"),
        (
            7,
            f"UPDATE ledger_nodes SET hash = substr(hash, 1, 31) WHERE node_key = {node_key(3, 0)}",
        ),
        (31, f"DELETE FROM ledger_nodes WHERE node_key = {node_key(5, 0)}"),
        (40, "UPDATE ledger_entries SET leaf_hash = hex(leaf_hash) WHERE idx = 40"),
        (44, "UPDATE ledger_entries SET payload = CAST(payload AS TEXT) WHERE idx = 44"),
        (60, "UPDATE ledger_entries SET entry = CAST(entry AS TEXT) WHERE idx = 60"),
    ],
)
def test_stored_values_of_another_type_or_length_are_found(
    db: sa.Engine, index: int, statement: str
) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql(statement)
    with db.connect() as conn, pytest.raises(LogError) as raised:
        verify_database(conn, chunk=32)
    assert raised.value.index == index


def test_a_valid_export_takes_the_fast_path_only(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    with db.connect() as conn:
        write_export(conn, out)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the reference loop ran on a valid export")

    monkeypatch.setattr(LogWalker, "reference_entries", refuse)
    report = verify_export(out.getvalue().splitlines(keepends=True))
    assert (report.size, report.checkpoints) == (70, 21)
