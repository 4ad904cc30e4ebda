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

from ledger.levels import StoredLevel, from_mapping
from ledger.merkle import HASH_SIZE
from ledger.schema import checkpoints, entries, nodes
from ledger.shape import LEVEL_SHIFT, completed, node_key, node_position

__all__ = [
    "completed_nodes",
    "first_origin",
    "log_size",
    "raw_batches",
    "raw_rows",
    "read_chunks",
    "read_subtrees",
    "subtree_hashes",
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
    return [row for rows in raw_batches(conn, stmt, None) for row in rows]


def raw_batches(
    conn: Connection, stmt: Select[Any], size: int | None = 1000
) -> Iterator[list[tuple[Any, ...]]]:
    """:func:`raw_rows` ``size`` rows at a time (all at once for None): small batches keep the
    verifier's working set in the CPU caches and its memory reused."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        if size is None:
            yield cursor.fetchall()
            return
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def completed_nodes(conn: Connection, lo: int, hi: int) -> dict[int, bytes]:
    """Stored subtree hashes completed by leaves lo..hi-1 (:func:`ledger.shape.completed`)."""
    ranges = []
    for level in range(1, hi.bit_length() + 1):
        js = completed(level, lo, hi)
        if js:
            ranges.append(nodes.c.node_key.between(node_key(level, js[0]), node_key(level, js[-1])))
    if not ranges:
        return {}
    return dict(raw_rows(conn, select(nodes.c.node_key, nodes.c.hash).where(or_(*ranges))))


# SQLite: how many of one level's stored hashes equal their 32 bytes of the computed ones (?1).
# node_key is the primary key, so unique: count == len(js) means each key of the range is there
# and holds exactly its hash, as a blob (text or a number never equals a blob).
_SQLITE_LEVEL = (
    "SELECT count(*) FROM ledger_nodes WHERE node_key BETWEEN ?2 AND ?3"
    " AND hash = substr(?1, ((node_key - ?2) << 5) + 1, 32)"
)


def subtree_hashes(conn: Connection, lo: int, hi: int) -> StoredLevel:
    """The check of the stored subtree hashes leaves lo..hi-1 complete, for
    :func:`ledger.levels.levels_match`: on SQLite one query per level compares them in the
    database (a Python object per row cost as much as the hashing), else
    :func:`completed_nodes`."""
    if conn.dialect.name != "sqlite":
        return from_mapping(completed_nodes(conn, lo, hi))

    def stored(level: int, js: range, expected: bytes) -> bool:
        first, last = node_key(level, js[0]), node_key(level, js[-1])
        cursor = conn.connection.cursor()
        try:
            (count,) = cursor.execute(_SQLITE_LEVEL, (expected, first, last)).fetchone()
        finally:
            cursor.close()
        return count == len(js) and len(expected) == HASH_SIZE * len(js)

    return stored


def read_chunks(
    conn: Connection,
    lo: int,
    hi: int,
    chunk: int = 50_000,
    batch: int | None = 1000,
    positional: bool = False,
) -> Iterator[tuple[int, int, Iterator[list[tuple[Any, ...]]], dict[int, tuple[Any, Any]]]]:
    """Stored entries lo..hi-1 in chunks: (start, stop, batches of ``batch`` rows of (index,
    entry, payload, leaf hash), {size: (root hash, note)} for the checkpoints with start < size
    <= stop). Read each chunk's batches before the next chunk. ``positional`` leaves the index
    out of the rows (for :func:`ledger.schema.rowid_indexed` tables: it is the row's position)."""
    cols = (entries.c.idx, entries.c.entry, entries.c.payload, entries.c.leaf_hash)
    cols = cols[1:] if positional else cols
    cp_cols = (checkpoints.c.size, checkpoints.c.root_hash, checkpoints.c.note)
    for start in range(lo, hi, chunk):
        stop = min(start + chunk, hi)
        cp_span = (checkpoints.c.size > start, checkpoints.c.size <= stop)
        signed = {s: (r, n) for s, r, n in raw_rows(conn, select(*cp_cols).where(*cp_span))}
        span = (entries.c.idx >= start, entries.c.idx < stop)
        stmt = select(*cols).where(*span).order_by(entries.c.idx)
        yield start, stop, raw_batches(conn, stmt, batch), signed
