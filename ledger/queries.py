"""Read queries over the ledger tables (:mod:`ledger.schema`), shared by the store, the
verifier and the exporter.

Subtree hashes come back by :func:`ledger.shape.node_key` — leaves (level 0) from the entries'
RFC 9162 §2.1.1 leaf hashes, the rest from the nodes table — in one query, so a proof costs one
round trip. The verifier's bulk reads bypass Core's per-row result processing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, union_all
from sqlalchemy.engine import Connection

from ledger.schema import checkpoints, entries, nodes
from ledger.shape import LEVEL_SHIFT, node_key, node_position

__all__ = [
    "completed_nodes",
    "first_origin",
    "log_size",
    "raw_rows",
    "read_chunks",
    "read_subtrees",
]

# Built once: statement construction cost more than the query itself (proof latency).
_SUBTREES = union_all(
    select(entries.c.idx, entries.c.leaf_hash).where(
        entries.c.idx.in_(bindparam("leaves", expanding=True))
    ),
    select(nodes.c.node_key, nodes.c.hash).where(
        nodes.c.node_key.in_(bindparam("inner", expanding=True))
    ),
)


def log_size(conn: Connection) -> int:
    """Number of entries in the stored log (one past the highest index)."""
    last = conn.execute(select(func.max(entries.c.idx))).scalar()
    return 0 if last is None else last + 1


def first_origin(conn: Connection) -> str | None:
    """The origin line of the oldest stored checkpoint (C2SP tlog-checkpoint), if any."""
    stmt = select(checkpoints.c.note).order_by(checkpoints.c.size).limit(1)
    first = conn.execute(stmt).scalar()
    return None if first is None else first.split("\n", 1)[0]


def read_subtrees(conn: Connection, wanted: Iterable[tuple[int, int]]) -> dict[int, bytes]:
    """Hashes of the given complete subtrees by :func:`node_key`, in one query (UNION ALL)."""
    keys_ = {node_key(level, index) for level, index in wanted}
    if not keys_:
        return {}
    leaves = [k for k in keys_ if k >> LEVEL_SHIFT == 0]
    inner = [k for k in keys_ if k >> LEVEL_SHIFT]
    found = {k: bytes(h) for k, h in conn.execute(_SUBTREES, {"leaves": leaves, "inner": inner})}
    if len(found) != len(keys_):
        level, index = node_position(min(keys_ - found.keys()))
        raise LookupError(f"subtree (level {level}, index {index}) is not in the log")
    return found


def raw_rows(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows as plain DB-API tuples: Core's per-row processing costs more than the hashing here.

    Runs on the connection's own DB-API connection, so inside the caller's transaction; the
    statement's bound values (ints only) are rendered as literals.
    """
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def completed_nodes(conn: Connection, lo: int, hi: int) -> dict[int, bytes]:
    """Stored subtree hashes completed by leaves lo..hi-1: node (l, j) ends at leaf 2^l(j+1)-1."""
    ranges = []
    for level in range(1, hi.bit_length() + 1):
        first, last = -(-(lo + 1) >> level) - 1, (hi >> level) - 1
        if first <= last:
            ranges.append(nodes.c.node_key.between(node_key(level, first), node_key(level, last)))
    if not ranges:
        return {}
    return dict(raw_rows(conn, select(nodes.c.node_key, nodes.c.hash).where(or_(*ranges))))


def read_chunks(
    conn: Connection, lo: int, hi: int, chunk: int = 50_000
) -> Iterator[tuple[int, int, list[tuple[Any, ...]], dict[int, tuple[Any, Any]]]]:
    """Stored entries lo..hi-1 in chunks: (start, stop, rows of (index, entry, payload, leaf
    hash), {size: (root hash, note)} for the checkpoints with start < size <= stop)."""
    cols = (entries.c.idx, entries.c.entry, entries.c.payload, entries.c.leaf_hash)
    cp_cols = (checkpoints.c.size, checkpoints.c.root_hash, checkpoints.c.note)
    for start in range(lo, hi, chunk):
        stop = min(start + chunk, hi)
        span = (entries.c.idx >= start, entries.c.idx < stop)
        rows = raw_rows(conn, select(*cols).where(*span).order_by(entries.c.idx))
        cp_span = (checkpoints.c.size > start, checkpoints.c.size <= stop)
        signed = {s: (r, n) for s, r, n in raw_rows(conn, select(*cp_cols).where(*cp_span))}
        yield start, stop, rows, signed
