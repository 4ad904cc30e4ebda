"""The log walk's fast path: :class:`ledger.walker.LogWalker`'s checks on a run of entries, with
a cheaper strict parse — ENTRY_RE of :mod:`ledger.entry`, RFC 9162 §2.1 leaf and node hashes.

An entry's bytes must split at ``,"`` into nine pieces, each matching its member of
:data:`ledger.entry.PIECE_RES` (whose ``,"``-join *is* ENTRY_RE, so this accepts an entry iff
ENTRY_RE fullmatches it; the rare canonical entry with a value ending in "," splits in more
pieces and is cut into its members by ENTRY_RE instead). The index, payload_sha256 and prev
pieces are not parsed but compared with the pieces rendered from the entry's position, its
payload's SHA-256 and the previous leaf hash; the org, user, kind and ts pieces are matched (ts
also parsed as a date) once and then remembered in :class:`Seen`, since a log repeats them; the
subject piece is matched every time. The leaf hash is compared with the stored one; the RFC 9162
subtree hashes the entries complete are collected by level, and :func:`levels_match` compares
each level with the stored subtree hashes in one go (from a mapping, or whatever
:mod:`ledger.queries` read in bulk).

Both answer only "all good" or not: at the first deviation the walker re-walks the same entries
with its reference loop, which names the index and the problem. So this module can make a
verification faster but never decide it differently.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ledger.entry import ENTRY_RE, PIECE_RES, PIECE_SEP
from ledger.shape import completed, node_key

__all__ = ["Seen", "StoredLevel", "from_mapping", "levels_match", "new_levels", "scan"]

# The stored hashes of subtrees (level, j) for j in a range, concatenated; None if any is absent.
StoredLevel = Callable[[int, range], bytes | None]

_ORG, _USER, _INDEX, _KIND, _DIGEST, _PREV, _SUBJECT, _TS, _END = PIECE_RES
_RENDER_INDEX = b'index":%d'
_RENDER_DIGEST = b'payload_sha256":"%b"'
_RENDER_PREV = b'prev":"%b"'
_END_PIECE = b'v":1}'


class Seen:
    """Pieces already matched against their grammar (bounded: cleared when full)."""

    LIMIT = 1 << 14

    def __init__(self) -> None:
        self.orgs: set[bytes] = set()
        self.users: set[bytes] = set()
        self.kinds: set[bytes] = set()
        self.stamps: set[bytes] = set()

    def learn(self, known: set[bytes], piece: bytes, pattern: re.Pattern[bytes]) -> bool:
        """Match ``piece``; remember it in ``known`` if it matches."""
        match = pattern.fullmatch(piece)
        if match is None:
            return False
        if pattern is _TS:
            try:
                datetime.fromisoformat(match["ts"].decode())
            except ValueError:
                return False
        if len(known) >= self.LIMIT:
            known.clear()
        known.add(piece)
        return True


def _members(data: bytes) -> tuple[bytes, ...]:
    """The nine pieces by ENTRY_RE, for the rare canonical entry that ``,"`` does not split in
    nine (a value ending with ","); ValueError if it is not canonical."""
    m = ENTRY_RE.fullmatch(data)
    if m is None:
        raise ValueError("not a canonical entry")
    org, user, index, kind, digest, prev, subject, ts = m.groups()
    return (
        b'{"actor":{"org":"%b"' % org,
        b'user":null}' if user is None else b'user":"%b"}' % user,
        b'index":%b' % index,
        b'kind":"%b"' % kind,
        b'payload_sha256":"%b"' % digest,
        b'prev":"%b"' % prev,
        b'subject":"%b"' % subject,
        b'ts":"%b"' % ts,
        _END_PIECE,
    )


def new_levels() -> list[list[bytes]]:
    """Empty per-level lists of subtree hashes (index = level, 1..63) for :func:`scan`."""
    return [[] for _ in range(64)]


def levels_match(levels: list[list[bytes]], lo: int, hi: int, stored: StoredLevel) -> bool:
    """Whether ``levels`` holds exactly the subtrees leaves lo..hi-1 complete, equal to the
    stored ones (compared a level at a time)."""
    for level in range(1, len(levels)):
        indices, found = completed(level, lo, hi), levels[level]
        if len(found) != len(indices):
            return False
        if found and stored(level, indices) != b"".join(found):
            return False
    return True


def from_mapping(node_hashes: Mapping[int, bytes]) -> StoredLevel:
    """:data:`StoredLevel` over hashes by :func:`ledger.shape.node_key`."""

    def stored(level: int, indices: range) -> bytes | None:
        keys = range(node_key(level, indices.start), node_key(level, indices.stop))
        try:
            return b"".join(map(node_hashes.get, keys))  # type: ignore[arg-type]
        except TypeError:  # one is missing (None) or not bytes
            return None

    return stored


def scan(
    rows: Sequence[tuple[Any, Any, Any, Any]],
    start: int,
    prev: bytes,
    stack: list[bytes],
    levels: list[list[bytes]] | None,
    seen: Seen,
) -> bytes | None:
    """Check ``rows`` (index, entry, payload, stored leaf hash or None) as entries ``start``,
    ``start + 1``, ... following leaf hash ``prev``, pushing their leaves onto ``stack`` (RFC 9162
    perfect subtrees, as :func:`ledger.merkle.push_leaf`) and appending the subtree hashes they
    complete to ``levels`` (if given). Returns the last leaf hash, or None at the first
    deviation (``stack`` and ``levels`` are then spoilt)."""
    try:
        return _scan(rows, start, prev, stack, levels or new_levels(), seen)
    except (TypeError, AttributeError, ValueError):  # e.g. a column of another type
        return None


def _scan(
    rows: Sequence[tuple[Any, Any, Any, Any]],
    start: int,
    prev: bytes,
    stack: list[bytes],
    levels: list[list[bytes]],
    seen: Seen,
) -> bytes | None:
    sha256, hexlify, learn = hashlib.sha256, binascii.hexlify, seen.learn
    pop, push, add = stack.pop, stack.append, [found.append for found in levels]
    orgs, users, kinds, stamps = seen.orgs, seen.users, seen.kinds, seen.stamps
    subject, sep, end_piece = _SUBJECT.fullmatch, PIECE_SEP, _END_PIECE
    render_index, render_digest, render_prev = _RENDER_INDEX, _RENDER_DIGEST, _RENDER_PREV
    prev_piece, expect, kind_seen, ts_seen = render_prev % hexlify(prev), start, None, None
    for index, data, payload, stored in rows:
        try:
            org, user, number, kind, digest, link, subj, ts, end = data.split(sep)
        except ValueError:  # not nine: not canonical, or a value ends with ","
            org, user, number, kind, digest, link, subj, ts, end = _members(data)
        if (
            index != expect
            or number != render_index % index
            or link != prev_piece
            or digest != render_digest % hexlify(sha256(payload).digest())
            or end != end_piece
            or subject(subj) is None
            or (org not in orgs and not learn(orgs, org, _ORG))
            or (user not in users and not learn(users, user, _USER))
        ):
            return None
        if kind != kind_seen:  # a batch tends to share the kind and the time
            if kind not in kinds and not learn(kinds, kind, _KIND):
                return None
            kind_seen = kind
        if ts != ts_seen:
            if ts not in stamps and not learn(stamps, ts, _TS):
                return None
            ts_seen = ts
        h = prev = sha256(b"\x00" + data).digest()
        if h != stored and stored is not None:
            return None
        prev_piece = _RENDER_PREV % hexlify(h)
        level, i = 0, index
        while i & 1:
            h = sha256(b"\x01" + pop() + h).digest()
            level, i = level + 1, i >> 1
            add[level](h)
        push(h)
        expect += 1
    return prev
