""":func:`ledger.scan.scan` on a whole run of entries with the per-entry work left to C — the
same checks (ENTRY_RE of :mod:`ledger.entry`, RFC 9162 §2.1 leaf and node hashes), done a
column at a time.

The run's entries are joined with newlines and split at ``,``: a run of ``n`` canonical entries
whose values hold no comma gives ``8n + 1`` pieces, ``P[8k + j]`` being member ``j + 1`` of entry
``k`` with a ``"`` before it (:data:`QUOTED`), and ``P[8k]`` the previous entry's ``"v":1}``, the
newline and entry ``k``'s org member (:data:`BOUNDARY_RE`). Each column is then checked at once:

* index, payload_sha256 and prev: the column joined by newlines equals the one rendered from
  the positions, the payloads' SHA-256 and the previous leaf hashes;
* subject: the joined column fullmatches the subject member repeated and holds ``n - 1``
  newlines (:func:`subjects_ok`);
* org (in the boundary pieces), user, kind, ts: each distinct piece is in
  :class:`ledger.scan.Seen` or is matched (ts also parsed as a date) and remembered;
* the rows' indices are the positions; entries, payloads and stored leaf hashes are all
  ``bytes``; the stored leaf hashes equal SHA-256(0x00 ‖ entry).

No member's grammar holds a newline and a boundary piece holds exactly one, so the newlines are
the joins and entry ``k`` is its nine pieces joined by ``,``: it fullmatches ENTRY_RE. This
accepts only what the reference loop accepts and answers "all good" or None (look closer: then
:func:`ledger.scan.scan` goes entry by entry). The subtree hashes are built a level at a time.
"""

from __future__ import annotations

import hashlib
import re
from binascii import hexlify
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from ledger.entry import PIECE_RES

__all__ = [
    "BOUNDARY_RE",
    "QUOTED",
    "SUBJECTS_RE",
    "index_column",
    "scan_batch",
    "subjects_ok",
    "tree_levels",
]

# The members with the '"' that ',' leaves on them: QUOTED[j] for member j >= 1.
QUOTED = (PIECE_RES[0], *(re.compile(b'"' + p.pattern) for p in PIECE_RES[1:]))
_ORG, _USER, _, _KIND, _, _, _SUBJECT, _TS, _END = QUOTED
BOUNDARY_RE = re.compile(_END.pattern + b"\n" + _ORG.pattern)
_ONE = _SUBJECT.pattern.replace(b"(?P<subject>", b"(?:")
SUBJECTS_RE = re.compile(b"%b(?:\n%b)*" % (_ONE, _ONE))
_END_PIECE = b'"v":1}'
_INDEX_LIMIT = 10**16  # ENTRY_RE's index has at most 16 digits
_COLUMNS = tuple(itemgetter(k) for k in range(4))
_sha256 = hashlib.sha256
_digest = type(_sha256()).digest
_join = b"".join


# The index column of entries 1000p .. 1000p + 999 for p >= 1: "\x00" stands for p's digits.
_INDEX_TEMPLATE = b"\n".join(b'"index":\x00%03d' % i for i in range(1000))


def index_column(start: int, n: int) -> bytes:
    """``"index":k`` for k = start .. start + n - 1, joined by newlines; a run of 1000 entries
    from a multiple of 1000 (the verifier reads such runs) is its template with p filled in,
    five times faster than formatting 1000 numbers."""
    if n == 1000 and start % 1000 == 0 and start:
        return _INDEX_TEMPLATE.replace(b"\x00", b"%d" % (start // 1000))
    return (b'"index":%d' + b'\n"index":%d' * (n - 1)) % tuple(range(start, start + n))


def subjects_ok(pieces: list[bytes]) -> bool:
    """Whether every piece fullmatches the quoted subject member (one regex over them all)."""
    joined = b"\n".join(pieces)
    return joined.count(b"\n") == len(pieces) - 1 and SUBJECTS_RE.fullmatch(joined) is not None


def _rendered(key: bytes, hashes: list[bytes]) -> bytes:
    """``key"<hex>"`` for each hash, joined by newlines (a payload_sha256 or prev column)."""
    middle = hexlify(_join(hashes), b"\n", 32).replace(b"\n", b'"\n' + key + b'"')
    return _join((key, b'"', middle, b'"'))


def _shared(column: list[bytes]) -> list[bytes]:
    """``column`` or, if all its pieces are equal (a run shares its kind and time), the first."""
    return column[:1] if column.count(column[0]) == len(column) else column


def _known(seen: Any, known: set[bytes], column: list[bytes], pattern: re.Pattern[bytes]) -> bool:
    """Whether every piece of ``column`` is in ``known`` or matches ``pattern`` (then learnt)."""
    if known.issuperset(column):
        return True
    return all(seen.learn(known, piece, pattern) for piece in set(column) - known)


def tree_levels(
    leaves: list[bytes], start: int, stack: list[bytes]
) -> tuple[list[bytes], list[list[bytes]]]:
    """RFC 9162 §2.1.1 node hashes a level at a time: leaves ``start``, ``start + 1``, ... pushed
    onto the perfect subtrees ``stack`` (left unchanged) give the new stack and, by level from
    1, the subtree hashes they complete in index order (as :func:`ledger.merkle.push_leaf`)."""
    tree, frontier, completed = stack[:], [], []
    level, first = leaves, start
    while level:
        if first & 1:  # the left sibling of the first node waits on the stack
            level, first = [tree.pop(), *level], first - 1
        if len(level) & 1:
            frontier.append(level[-1])
        pairs = zip(repeat(b"\x01"), level[0::2], level[1::2])
        level, first = list(map(_digest, map(_sha256, map(_join, pairs)))), first >> 1
        completed.append(level)
    tree += reversed(frontier)
    return tree, completed


def scan_batch(
    rows: Sequence[tuple[Any, Any, Any, Any]],
    start: int,
    prev: bytes,
    stack: list[bytes],
    levels: list[list[bytes]],
    seen: Any,
    positional: bool = False,
) -> bytes | None:
    """:func:`ledger.scan.scan` for a non-empty run of rows; the last leaf hash, or None if
    anything is amiss or the run does not split in columns (``stack``, ``levels`` untouched)."""
    n, stop = len(rows), start + len(rows)
    entry, payload, leaf = _COLUMNS[:3] if positional else _COLUMNS[1:]
    datas = list(map(entry, rows))
    pieces = b"\n".join(datas).split(b",")
    if len(pieces) != 8 * n + 1 or stop > _INDEX_LIMIT:
        return None
    if not positional and list(map(_COLUMNS[0], rows)) != [*range(start, stop)]:
        return None
    payloads, stored = list(map(payload, rows)), list(map(leaf, rows))
    if {*map(type, datas), *map(type, payloads), *map(type, stored)} != {bytes}:
        return None
    digests = [_sha256(payload).digest() for payload in payloads]
    leaves = [_sha256(b"\x00" + data).digest() for data in datas]
    if stored != leaves or not _pieces_ok(pieces, start, prev, digests, leaves, seen):
        return None
    stack[:], completed = tree_levels(leaves, start, stack)
    for found, hashes in zip(levels[1:], completed):  # noqa: B905 (completed is shorter)
        found += hashes
    return leaves[-1]


def _pieces_ok(
    pieces: list[bytes],
    start: int,
    prev: bytes,
    digests: list[bytes],
    leaves: list[bytes],
    seen: Any,
) -> bool:
    """The column checks of the module docstring."""
    return (
        pieces[-1] == _END_PIECE
        and b"\n".join(pieces[2::8]) == index_column(start, len(digests))
        and b"\n".join(pieces[4::8]) == _rendered(b'"payload_sha256":', digests)
        and b"\n".join(pieces[5::8]) == _rendered(b'"prev":', [prev, *leaves[:-1]])
        and subjects_ok(pieces[6::8])
        and _known(seen, seen.orgs, pieces[:1], _ORG)
        and _known(seen, seen.bounds, pieces[8:-1:8], BOUNDARY_RE)
        and _known(seen, seen.quoted_users, pieces[1::8], _USER)
        and _known(seen, seen.quoted_kinds, _shared(pieces[3::8]), _KIND)
        and _known(seen, seen.quoted_stamps, _shared(pieces[7::8]), _TS)
    )
