"""The persistent ledger: one hash-chained RFC 9162 Merkle log in SQL, signed with C2SP
tlog-checkpoint notes — :class:`LedgerStore`.

The API takes a :class:`~sqlalchemy.engine.Connection` already inside the caller's transaction
and never commits. An append serialises on the database and stores every entry and every
complete subtree hash it finishes (:mod:`ledger.append`), the published keys
(:mod:`ledger.published_keys`) and one signed checkpoint (tables: :mod:`ledger.schema`). Proofs
read the O(log n) stored subtree hashes they need in one query (:mod:`ledger.shape`,
:mod:`ledger.queries`) and equal :mod:`ledger.merkle`'s over the same leaves. ``metadata``,
``create_tables`` and ``install_sqlite_locking`` are re-exported here for the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.append import append_entries
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entry import Entry, EntryDraft
from ledger.merkle import EMPTY_ROOT, fold_root
from ledger.note_keys import Signer, Verifier
from ledger.published_keys import list_published_keys, sync_published_keys
from ledger.queries import log_size, read_subtrees
from ledger.receipt import make_receipt
from ledger.schema import checkpoints, create_tables, entries, metadata
from ledger.shape import consistency_ranges, inclusion_ranges, node_key, subtrees
from ledger.transactions import install_sqlite_locking

__all__ = ["LedgerStore", "create_tables", "install_sqlite_locking", "metadata"]


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
        made, root, now = append_entries(conn, drafts, self.clock)
        sync_published_keys(conn, self._wanted_keys(), now)
        new_size = made[-1].index + 1
        checkpoint = Checkpoint(self.origin, new_size, root)
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
        return list_published_keys(conn, self._wanted_keys())
