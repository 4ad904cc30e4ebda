"""Growing the stored tree: entries appended after the stored log, as RFC 9162 §2.1 leaves.

:func:`append_entries` takes the append lock (:mod:`ledger.transactions`), reads the last leaf
hash (the next entry's ``prev``, making the log a hash chain as well; see :mod:`ledger.entry`)
and the roots of the perfect subtrees over the stored leaves, then inserts the new entries and
every complete subtree hash they finish (RFC 9162 §2.1.1 node hashes, keyed by
:func:`ledger.shape.node_key`). Signing a checkpoint for the new size is the store's part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.entry import GENESIS_PREV, Entry, EntryDraft
from ledger.merkle import fold_root, leaf_hash, push_leaf
from ledger.queries import read_subtrees
from ledger.schema import entries, insert_many, nodes
from ledger.shape import node_key, subtrees
from ledger.transactions import serialize_appends

__all__ = ["append_entries"]


def append_entries(
    conn: Connection, drafts: Sequence[EntryDraft], clock: Callable[[], datetime]
) -> tuple[list[Entry], bytes, datetime]:
    """Append ``drafts`` in order after the stored log (executemany inserts).

    Returns the new entries, the new root hash and the time from ``clock``, read once the lock
    is held and given to every draft without a timestamp of its own.
    """
    serialize_appends(conn)
    last = conn.execute(
        select(entries.c.idx, entries.c.leaf_hash).order_by(entries.c.idx.desc()).limit(1)
    ).first()
    size = 0 if last is None else last.idx + 1
    prev = GENESIS_PREV if last is None else bytes(last.leaf_hash).hex()
    found = read_subtrees(conn, frontier := subtrees(0, size))
    stack = [found[node_key(level, index)] for level, index in frontier]
    now = clock()
    made: list[Entry] = []
    entry_rows: list[tuple[int, bytes, bytes, bytes]] = []
    node_rows: list[tuple[int, bytes]] = []
    for index, draft in enumerate(drafts, start=size):
        entry, payload = Entry.from_draft(draft, index, prev, now)
        data = entry.to_bytes()
        h = leaf_hash(data)
        made.append(entry)
        entry_rows.append((index, data, payload, h))
        prev = h.hex()
        node_rows += [(node_key(lv, i), n) for lv, i, n in push_leaf(stack, index, h)]
    insert_many(conn, entries, entry_rows)
    insert_many(conn, nodes, node_rows)
    return made, fold_root(stack), now
