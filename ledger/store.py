"""The persistent ledger: one hash-chained RFC 9162 Merkle log in SQL (SQLAlchemy Core).

Tables (module-level :data:`metadata`, names prefixed ``ledger_``): entries (index, canonical
entry bytes, payload bytes, leaf hash); nodes (every complete subtree hash above the leaves,
keyed by :func:`node_key`); checkpoints (signed C2SP tlog-checkpoint notes, one per append
call); keys (the published log and witness verifier keys, current or retired).

The API takes a :class:`~sqlalchemy.engine.Connection` already inside the caller's transaction
and never commits. Appends serialise on the database — ``pg_advisory_xact_lock`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite (:func:`install_sqlite_locking`) — and the primary key on the
index makes a fork impossible even without them. Proofs read the O(log n) stored subtree hashes
they need in one query and equal :mod:`ledger.merkle`'s proofs over the same leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    event,
    func,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Engine

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entry import GENESIS_PREV, Entry, EntryDraft
from ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash
from ledger.note import Signer, Verifier
from ledger.receipt import make_receipt

__all__ = [
    "LedgerStore",
    "checkpoints",
    "consistency_ranges",
    "create_tables",
    "entries",
    "fold_root",
    "inclusion_ranges",
    "install_sqlite_locking",
    "keys",
    "log_size",
    "metadata",
    "node_key",
    "nodes",
    "read_subtrees",
    "subtrees",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
# SQLite: INTEGER PRIMARY KEY is the rowid itself (no second index), BIGINT elsewhere.
_Key = BigInteger().with_variant(Integer(), "sqlite")
_When = DateTime(timezone=True)

entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", _Key, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)
nodes = Table(
    "ledger_nodes",
    metadata,
    Column("node_key", _Key, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", _Key, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", _When, nullable=False),
)
keys = Table(
    "ledger_keys",
    metadata,
    Column("vkey", String(255), primary_key=True),
    Column("role", String(16), nullable=False),  # "log" | "witness"
    Column("status", String(16), nullable=False),  # "current" | "retired"
    Column("created_at", _When, nullable=False),
    Column("retired_at", _When, nullable=True),
)

# An arbitrary constant 64-bit key for pg_advisory_xact_lock ("elx ledger append").
PG_LOCK_KEY = 0x656C785F6C656467


def create_tables(bind: Engine | Connection) -> None:
    """Create the ledger tables if absent (the service uses its Alembic migrations instead)."""
    metadata.create_all(bind)


def install_sqlite_locking(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe: driver autocommit, ``BEGIN IMMEDIATE``, WAL, busy_timeout.

    Call once, before the engine's first connection. Idempotent; also a no-op for other
    dialects and for engines that ``marketplace.db.tune_engine`` already set up the same way
    (installing both would emit ``BEGIN IMMEDIATE`` twice).
    """
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_ledger_locking", False) or getattr(engine, "_elx_tuned", False):
        return
    engine._ledger_locking = True  # type: ignore[attr-defined]
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=60000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- tree shape: which complete subtrees make up a root or a proof (RFC 9162 §2.1) -----------

LEVEL_SHIFT = 56


def node_key(level: int, index: int) -> int:
    """Key of the complete subtree of 2**level leaves starting at leaf ``index << level``."""
    return (level << LEVEL_SHIFT) | index


def subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """The complete aligned subtrees (level, index) covering leaves [lo, hi), largest first.

    For the ranges RFC 9162's recursion produces (``lo`` a multiple of a power of two at least
    ``hi - lo``), MTH(D[lo:hi]) is these subtrees' hashes folded from the right.
    """
    out = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        while lo & ((1 << level) - 1):
            level -= 1
        out.append((level, lo >> level))
        lo += 1 << level
    return out


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[size]), leaf side first (RFC 9162 §2.1.3.1)."""
    out, lo, hi = [], 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            lo = mid
    return out[::-1]


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(old_size, D[size]) (RFC 9162 §2.1.4.1)."""
    out, lo, hi, whole = [], 0, size, True
    while old_size != hi:
        mid = lo + _split(hi - lo)
        if old_size <= mid:
            out.append((mid, hi))
            hi = mid
        else:
            out.append((lo, mid))
            lo, whole = mid, False
    if not whole:
        out.append((lo, hi))
    return out[::-1]


def fold_root(hashes: Sequence[bytes]) -> bytes:
    """Right fold of perfect-subtree hashes, largest first: the MTH of their leaves (§2.1.1)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


# Built once: statement construction cost more than the query itself (proof latency).
_SUBTREES = union_all(
    select(entries.c.idx, entries.c.leaf_hash).where(
        entries.c.idx.in_(bindparam("leaves", expanding=True))
    ),
    select(nodes.c.node_key, nodes.c.hash).where(
        nodes.c.node_key.in_(bindparam("inner", expanding=True))
    ),
)


def read_subtrees(conn: Connection, wanted: Iterable[tuple[int, int]]) -> dict[int, bytes]:
    """Hashes of the given complete subtrees by :func:`node_key`, in one query (UNION ALL)."""
    keys_ = {node_key(level, index) for level, index in wanted}
    if not keys_:
        return {}
    leaves = [k for k in keys_ if k >> LEVEL_SHIFT == 0]
    inner = [k for k in keys_ if k >> LEVEL_SHIFT]
    found = {k: bytes(h) for k, h in conn.execute(_SUBTREES, {"leaves": leaves, "inner": inner})}
    if len(found) != len(keys_):
        missing = min(keys_ - found.keys())
        level, index = missing >> LEVEL_SHIFT, missing & ((1 << LEVEL_SHIFT) - 1)
        raise LookupError(f"subtree (level {level}, index {index}) is not in the log")
    return found


def _insert_many(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """executemany of positional rows straight to the driver (Core's per-row parameter
    processing cost more than SQLite's own insert work); rows match ``table.columns``."""
    if not rows:
        return
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:
        raise NotImplementedError(f"driver paramstyle {conn.dialect.paramstyle!r}")
    name = conn.dialect.identifier_preparer.format_table(table)
    columns = ", ".join(table.columns.keys())
    marks = ", ".join([mark] * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {name} ({columns}) VALUES ({marks})", list(rows))  # noqa: S608


def log_size(conn: Connection) -> int:
    """Number of entries in the stored log (one past the highest index)."""
    last = conn.execute(select(func.max(entries.c.idx))).scalar()
    return 0 if last is None else last + 1


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class LedgerStore:
    """One origin's log in the caller's database; see the module docstring."""

    def __init__(
        self,
        origin: str,
        signer: Signer,
        cosigners: Sequence[Signer] = (),
        retired_vkeys: Iterable[str] = (),
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        Checkpoint(origin, 0, EMPTY_ROOT)  # validates the origin line
        self.origin = origin
        self.signer = signer
        self.cosigners = tuple(cosigners)
        self.retired_vkeys = tuple(Verifier.from_vkey(v).vkey for v in retired_vkeys)
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- writing ---------------------------------------------------------------------------

    def append(self, conn: Connection, draft: EntryDraft) -> Entry:
        """Append one entry and sign a checkpoint for the new size."""
        return self.append_batch(conn, [draft])[0]

    def append_batch(self, conn: Connection, drafts: Iterable[EntryDraft]) -> list[Entry]:
        """Append entries in order with one checkpoint for the batch (executemany inserts).

        On PostgreSQL keep READ COMMITTED (the default): the advisory lock comes first, so the
        reads after it see the previous appender's commit. A stale snapshot can only make the
        insert fail on the primary key, never fork the log.
        """
        drafts = list(drafts)
        if not drafts:
            raise ValueError("append_batch needs at least one draft")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
        last = conn.execute(
            select(entries.c.idx, entries.c.leaf_hash).order_by(entries.c.idx.desc()).limit(1)
        ).first()
        size = 0 if last is None else last.idx + 1
        prev = GENESIS_PREV if last is None else bytes(last.leaf_hash).hex()
        found = read_subtrees(conn, frontier := subtrees(0, size))
        stack = [found[node_key(level, index)] for level, index in frontier]
        now = self.clock()
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
            level, i = 0, index
            while i & 1:  # a right child completes its parent (RFC 9162 §2.1.1 node hash)
                h = node_hash(stack.pop(), h)
                level, i = level + 1, i >> 1
                node_rows.append((node_key(level, i), h))
            stack.append(h)
        _insert_many(conn, entries, entry_rows)
        _insert_many(conn, nodes, node_rows)
        self._sync_keys(conn, now)
        new_size = size + len(drafts)
        checkpoint = Checkpoint(self.origin, new_size, fold_root(stack))
        conn.execute(
            checkpoints.insert().values(
                size=new_size,
                root_hash=checkpoint.root_hash,
                note=sign_checkpoint(checkpoint, self.signer, *self.cosigners),
                created_at=now,
            )
        )
        return made

    def _wanted_keys(self) -> dict[str, tuple[str, str]]:
        wanted = {v: ("log", "retired") for v in self.retired_vkeys}
        wanted.update({s.vkey: ("witness", "current") for s in self.cosigners})
        wanted[self.signer.vkey] = ("log", "current")
        return wanted

    def _sync_keys(self, conn: Connection, now: datetime) -> None:
        """Publish the configured keys; a log or witness key no longer configured is retired."""
        wanted = self._wanted_keys()
        rows = conn.execute(select(keys.c.vkey, keys.c.role, keys.c.status))
        stored = {r.vkey: (r.role, r.status) for r in rows}
        for vkey, (_role, status) in stored.items():
            if vkey not in wanted and status == "current":
                wanted[vkey] = (_role, "retired")
        for vkey, (role, status) in wanted.items():
            retired_at = now if status == "retired" else None
            if vkey not in stored:
                conn.execute(
                    keys.insert().values(
                        vkey=vkey, role=role, status=status, created_at=now, retired_at=retired_at
                    )
                )
            elif stored[vkey] != (role, status):
                change = {"role": role, "status": status, "retired_at": retired_at}
                conn.execute(keys.update().where(keys.c.vkey == vkey).values(**change))

    # --- reading ---------------------------------------------------------------------------

    def size(self, conn: Connection) -> int:
        """Number of entries in the log."""
        return log_size(conn)

    def entry(self, conn: Connection, index: int) -> tuple[Entry, bytes]:
        """Entry ``index`` and its payload bytes; LookupError if absent."""
        data, payload = self._raw_entry(conn, index)
        return Entry.from_bytes(data), payload

    def _raw_entry(self, conn: Connection, index: int) -> tuple[bytes, bytes]:
        stmt = select(entries.c.entry, entries.c.payload).where(entries.c.idx == index)
        row = conn.execute(stmt).first()
        if row is None:
            raise LookupError(f"no entry {index} in the log")
        return bytes(row.entry), bytes(row.payload)

    def latest_checkpoint(self, conn: Connection) -> str:
        """The newest signed checkpoint note (a freshly signed size-0 one for an empty log)."""
        row = self._latest(conn)
        if row is None:
            empty = Checkpoint(self.origin, 0, EMPTY_ROOT)
            return sign_checkpoint(empty, self.signer, *self.cosigners)
        return row.note

    def _latest(self, conn: Connection) -> Any:
        stmt = select(checkpoints.c.size, checkpoints.c.note)
        return conn.execute(stmt.order_by(checkpoints.c.size.desc()).limit(1)).first()

    def checkpoint_at(self, conn: Connection, size: int) -> str | None:
        """The signed checkpoint stored for tree size ``size``, if one was made."""
        return conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).scalar()

    def _proof(self, conn: Connection, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
        parts = [subtrees(lo, hi) for lo, hi in ranges]
        # Leaf size-1 is always read too: its presence proves the log has ``size`` entries.
        found = read_subtrees(conn, [(0, size - 1)] + [t for part in parts for t in part])
        return [fold_root([found[node_key(*t)] for t in part]) for part in parts]

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) from stored subtrees; ValueError unless 0 <= index < size <= n."""
        if not 0 <= index < size:
            raise ValueError(f"need 0 <= index < size, got index {index}, size {size}")
        try:
            return self._proof(conn, inclusion_ranges(index, size), size)
        except LookupError:
            raise ValueError(f"tree size {size} exceeds the log") from None

    def consistency_proof(self, conn: Connection, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) from stored subtrees; needs 1 <= old <= new <= n."""
        if not 1 <= old_size <= new_size:
            raise ValueError(f"need 1 <= old_size <= new_size, got {old_size}, {new_size}")
        try:
            return self._proof(conn, consistency_ranges(old_size, new_size), new_size)
        except LookupError:
            raise ValueError(f"tree size {new_size} exceeds the log") from None

    def receipt(self, conn: Connection, index: int) -> dict[str, Any]:
        """An offline-verifiable receipt for entry ``index`` against the latest checkpoint."""
        row = self._latest(conn)
        if row is None or not 0 <= index < row.size:
            raise LookupError(f"no checkpointed entry {index} in the log")
        data, payload = self._raw_entry(conn, index)
        return make_receipt(
            origin=self.origin,
            index=index,
            entry=data,
            payload=payload,
            proof=self.inclusion_proof(conn, index, row.size),
            checkpoint=row.note,
        )

    def public_keys(self, conn: Connection) -> list[dict[str, Any]]:
        """Published verifier keys (current and retired, log and witness), oldest first."""
        rows = conn.execute(select(keys).order_by(keys.c.created_at, keys.c.vkey)).all()
        out = [
            {
                "vkey": r.vkey,
                "role": r.role,
                "status": r.status,
                "created_at": _utc(r.created_at).isoformat(),
                "retired_at": None if r.retired_at is None else _utc(r.retired_at).isoformat(),
            }
            for r in rows
        ]
        stored = {r.vkey for r in rows}
        for vkey, (role, status) in self._wanted_keys().items():
            if vkey not in stored:  # configured, not yet stored: nothing appended so far
                dates = {"created_at": None, "retired_at": None}
                out.append({"vkey": vkey, "role": role, "status": status, **dates})
        return out
