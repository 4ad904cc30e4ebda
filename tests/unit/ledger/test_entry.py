"""Tests for ledger.canonical and ledger.entry.

Reference: the ``rfc8785`` package (the JCS reference port of RFC 8785 by Trail of Bits) is the
independent oracle for canonical bytes; nothing here hard-codes a canonical form by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import (
    MAX_SAFE_INT,
    b64decode_strict,
    b64encode,
    dumps_canonical,
    loads_canonical,
)
from ledger.entry import GENESIS_PREV, Entry, EntryDraft, format_timestamp

SAFE_INTS = st.integers(min_value=-MAX_SAFE_INT, max_value=MAX_SAFE_INT)
ASCII_KEYS = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
SCALARS = st.none() | st.booleans() | SAFE_INTS | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ASCII_KEYS, inner, max_size=4),
    max_leaves=20,
)
IDENT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'),
    min_size=1,
    max_size=40,
)
KIND = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){0,3}", fullmatch=True)
HEX64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
ENTRIES = st.builds(
    Entry,
    index=st.integers(min_value=0, max_value=MAX_SAFE_INT),
    kind=KIND,
    subject=IDENT,
    actor_org=IDENT,
    actor_user=st.none() | IDENT,
    timestamp=MOMENTS,
    payload_sha256=HEX64,
    prev=HEX64,
)


@given(VALUES)
def test_canonical_bytes_equal_rfc8785_reference(value: object) -> None:
    assert dumps_canonical(value) == rfc8785.dumps(value)


@given(VALUES)
def test_loads_canonical_inverts_dumps(value: object) -> None:
    data = dumps_canonical(value)
    assert dumps_canonical(loads_canonical(data)) == data


@pytest.mark.parametrize(
    "value",
    [1.5, 2**53, -(2**53), {"é": 1}, {1: 2}, "\ud800", {"a": {1, 2}}, b"bytes", float("nan")],
)
def test_values_outside_the_domain_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        dumps_canonical(value)


def test_cycles_and_deep_nesting_are_refused() -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    deep: object = 0
    for _ in range(100):
        deep = [deep]
    for value in (cyclic, deep):
        with pytest.raises(ValueError, match="deeper"):
            dumps_canonical(value)


@pytest.mark.parametrize(
    "text",
    [
        b'{"b":1,"a":2}',  # key order
        b'{"a": 1}',  # whitespace
        b'{"a":1.0}',  # a float
        b'{"a":"\\u0041"}',  # needless escape
        b'{"a":1,"a":1}',  # duplicate key
        b'{"a":NaN}',
        b"\xff",
        b"[1,]",
    ],
)
def test_loads_canonical_refuses_other_spellings(text: bytes) -> None:
    with pytest.raises(ValueError):
        loads_canonical(text)


@given(st.binary(max_size=40))
def test_strict_base64_round_trips_and_refuses_set_padding_bits(data: bytes) -> None:
    text = b64encode(data)
    assert b64decode_strict(text) == data
    body = text.rstrip("=")
    if body != text:  # with padding, the lowest bit of the last character is unused
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        bumped = alphabet[alphabet.index(body[-1]) ^ 1]
        with pytest.raises(ValueError, match="non-canonical"):
            b64decode_strict(body[:-1] + bumped + text[len(body) :])


@given(ENTRIES)
def test_entry_bytes_are_the_jcs_form_of_the_entry_object(entry: Entry) -> None:
    assert entry.to_bytes() == rfc8785.dumps(entry.to_json())
    assert Entry.from_bytes(entry.to_bytes()) == entry


@given(ENTRIES, st.data())
def test_a_changed_byte_fails_or_parses_to_a_different_entry(
    entry: Entry, data: st.DataObject
) -> None:
    raw = bytearray(entry.to_bytes())
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    try:
        parsed = Entry.from_bytes(bytes(raw))
    except ValueError:
        return
    assert parsed != entry and parsed.to_bytes() == bytes(raw)  # strict: exact round trip


def _entry() -> Entry:
    return Entry(
        index=7,
        kind="asset.version.registered",
        subject="ast_x",
        actor_org="org_a",
        actor_user="usr_b",
        timestamp=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        payload_sha256="ab" * 32,
        prev="cd" * 32,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"v":1', b'"v":2'),
        (b'"index":7', b'"index":07'),
        (b'"index":7', b'"index":-7'),
        (b'"index":7', b'"index":7.0'),
        (b'"index":7', b'"index":"7"'),
        (b'"ab', b'"AB'),  # upper-case hex
        (b".000006Z", b"Z"),  # no microseconds
        (b".000006Z", b".000006+00:00"),
        (b"2026-01-02", b"2026-02-30"),  # no such day
        (b'"user":"usr_b"', b'"user":7'),
        (b'"user":"usr_b"', b'"user":"usr\\u0062"'),
        (b'{"actor"', b'{ "actor"'),
        (b',"v":1}', b',"v":1,"x":1}'),
        (b'"kind":"asset.version.registered"', b'"kind":"Asset"'),
    ],
)
def test_from_bytes_refuses_every_non_canonical_variant(old: bytes, new: bytes) -> None:
    good = _entry().to_bytes()
    assert old in good
    with pytest.raises(ValueError):
        Entry.from_bytes(good.replace(old, new, 1))


@pytest.mark.parametrize(
    "change",
    [
        {"index": -1},
        {"index": True},
        {"kind": "no spaces"},
        {"subject": ""},
        {"subject": 'quote"'},
        {"actor_org": "x" * 257},
        {"actor_user": "é"},
        {"timestamp": datetime(2026, 1, 1)},  # naive
        {"prev": "0" * 63},
        {"payload_sha256": "G" * 64},
        {"version": 2},
    ],
)
def test_invalid_fields_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(_entry(), **change)


def test_from_draft_binds_the_payload_digest_and_defaults_the_time() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    draft = EntryDraft("license.granted", "lic_1", "org_a", None, {"b": [1, "ü"], "a": None})
    entry, payload = Entry.from_draft(draft, 0, GENESIS_PREV, now)
    assert payload == rfc8785.dumps({"b": [1, "ü"], "a": None})
    assert entry.payload_sha256 == hashlib.sha256(payload).hexdigest()
    assert entry.timestamp == now and entry.prev == GENESIS_PREV
    assert json.loads(entry.to_bytes())["actor"] == {"org": "org_a", "user": None}


def test_draft_timestamps_are_normalised_to_utc() -> None:
    plus8 = datetime(2026, 5, 1, 20, 0, 0, 1, tzinfo=timezone(timedelta(hours=8)))
    draft = EntryDraft("x.y", "s", "o", "u", {}, timestamp=plus8)
    entry, _ = Entry.from_draft(draft, 0, GENESIS_PREV, datetime.now(UTC))
    assert b'"ts":"2026-05-01T12:00:00.000001Z"' in entry.to_bytes()
    assert format_timestamp(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"


@pytest.mark.parametrize("payload", [{"f": 0.5}, {"k": 2**60}, [1, 2], "text"])
def test_drafts_with_payloads_outside_the_domain_are_refused(payload: object) -> None:
    draft = EntryDraft("x.y", "s", "o", "u", payload)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Entry.from_draft(draft, 0, GENESIS_PREV, datetime.now(UTC))
