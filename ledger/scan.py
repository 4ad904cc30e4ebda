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
subtree hashes the entries complete are collected by level, for :func:`ledger.levels.levels_match`.
:func:`scan` first tries the whole run at once, a column at a time (:mod:`ledger.scan_batch`),
and goes entry by entry only if that does not say "all good".

Both answer only "all good" or not: at the first deviation the walker re-walks the same entries
with its reference loop, which names the index and the problem. So this module can make a
verification faster but never decide it differently.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ledger.entry import ENTRY_RE, PIECE_RES, PIECE_SEP
from ledger.levels import new_levels
from ledger.scan_batch import scan_batch

__all__ = ["Seen", "scan"]

_ORG, _USER, _INDEX, _KIND, _DIGEST, _PREV, _SUBJECT, _TS, _END = PIECE_RES
_RENDER_INDEX = b'index":%d'
_RENDER_DIGEST = b'payload_sha256":"%b"'
_RENDER_PREV = b'prev":"%b"'
_END_PIECE = b'v":1}'


class Seen:
    """Pieces already matched against their grammar (bounded: cleared when full), as split by
    ``,"`` here and by ``,`` in :mod:`ledger.scan_batch` (``quoted_*``, ``bounds``)."""

    LIMIT = 1 << 14
    BACKOFF = 8  # runs walked entry by entry after one that did not split in columns

    def __init__(self) -> None:
        self.orgs: set[bytes] = set()
        self.users: set[bytes] = set()
        self.kinds: set[bytes] = set()
        self.stamps: set[bytes] = set()
        self.quoted_users: set[bytes] = set()
        self.quoted_kinds: set[bytes] = set()
        self.quoted_stamps: set[bytes] = set()
        self.bounds: set[bytes] = set()
        self.skip = 0

    def learn(self, known: set[bytes], piece: bytes, pattern: re.Pattern[bytes]) -> bool:
        """Match ``piece``; remember it in ``known`` if it matches (a ts also parses as a date)."""
        match = pattern.fullmatch(piece)
        if match is None:
            return False
        if "ts" in pattern.groupindex:
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


def scan(
    rows: Sequence[tuple[Any, Any, Any, Any]],
    start: int,
    prev: bytes,
    stack: list[bytes],
    levels: list[list[bytes]] | None,
    seen: Seen,
    positional: bool = False,
) -> bytes | None:
    """Check ``rows`` (index, entry, payload, stored leaf hash or None; without the index if
    ``positional``, the caller vouching that it is the row's position) as entries ``start``,
    ``start + 1``, ... following leaf hash ``prev``, pushing their leaves onto ``stack`` (RFC 9162
    perfect subtrees, as :func:`ledger.merkle.push_leaf`) and appending the subtree hashes they
    complete to ``levels`` (if given). Returns the last leaf hash, or None at the first
    deviation (``stack`` and ``levels`` are then spoilt)."""
    if not rows:
        return prev
    levels = levels or new_levels()
    if seen.skip <= 0:
        try:
            last = scan_batch(rows, start, prev, stack, levels, seen, positional)
        except (TypeError, AttributeError, ValueError, IndexError):  # e.g. a column of another type
            last = None
        if last is not None:
            return last
        seen.skip = seen.BACKOFF  # e.g. values with commas: entry by entry for a while
    seen.skip -= 1
    if positional:
        rows = [(index, *row) for index, row in enumerate(rows, start)]
    try:
        return _scan(rows, start, prev, stack, levels, seen)
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
