"""Streaming verification of a log's entries and checkpoints — RFC 9162 §2.1 and C2SP
tlog-checkpoint / signed-note.

:class:`LogWalker` consumes entries in index order (from a database or an export) and checks:
the entry bytes are a canonical version-1 entry whose index is its position; ``prev`` is the
leaf hash of the previous entry (a hash chain, every link checked); the payload's SHA-256 is
the entry's ``payload_sha256``; the stored leaf hash is SHA-256(0x00 ‖ entry) and each stored
complete-subtree hash is its RFC 9162 node hash; every checkpoint is a C2SP signed note from a
trusted key whose origin, size and root match the recomputed tree, and every signature on it
is from a published key and valid. The first failure raises :class:`LogError` naming the index.
Reading a whole database is :mod:`ledger.verify`; reading an export, :mod:`ledger.export_verify`.
Each run of entries goes through :mod:`ledger.scan` first and, if that finds anything amiss,
through the reference loop (:meth:`LogWalker.reference_entries`), which says what and where.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ledger import VerificationError
from ledger.checkpoint import open_checkpoint
from ledger.entry import ENTRY_RE, GENESIS_PREV
from ledger.levels import from_mapping, levels_match, new_levels
from ledger.merkle import fold_root
from ledger.note import open_note_detailed
from ledger.note_keys import Verifier
from ledger.scan import Seen, scan
from ledger.shape import node_key
from ledger.walk_report import LogError, VerifyReport

if TYPE_CHECKING:
    from ledger.published_keys import PublishedKey

__all__ = ["LogError", "LogWalker", "VerifyReport"]


class LogWalker:
    """Streaming verifier state: the next index, the last leaf hash and the perfect subtrees."""

    def __init__(
        self,
        published: Sequence[PublishedKey],
        trusted: Sequence[Verifier] | None = None,
        origin: str | None = None,
    ) -> None:
        self.published = [p.verifier for p in published]
        self.keys_from_log = trusted is None
        log_keys = [p.verifier for p in published if p.role == "log"]
        self.trusted = list(trusted) if trusted is not None else log_keys
        self.known = self.published + self.trusted
        self.origin = origin
        self.size = 0
        self.prev = bytes.fromhex(GENESIS_PREV)
        self.stack: list[bytes] = []
        self.checkpoints = 0
        self.last_checkpoint = 0
        self.stored_nodes = 0
        self.seen = Seen()

    def entries(
        self,
        rows: Iterable[tuple[int, bytes, bytes, bytes | str | None]],
        node_hashes: Mapping[int, bytes] | None = None,
        signed: Mapping[int, tuple[bytes | None, str]] | None = None,
    ) -> None:
        """Check ``rows`` (index, entry, payload, stored leaf hash as bytes or hex, or None).

        ``node_hashes`` holds the stored subtree hashes (by :func:`ledger.shape.node_key`) that
        these entries complete; ``signed`` maps sizes reached here to (stored root, note).
        Runs :mod:`ledger.scan` first; if anything is amiss, rewinds and walks the rows again
        with :meth:`reference_entries`, which names the first bad index.
        """
        rows = rows if isinstance(rows, list) else list(rows)
        saved, levels = self.save(), None if node_hashes is None else new_levels()
        if self.fast_entries(rows, signed or {}, levels) and (
            levels is None or levels_match(levels, saved[0], self.size, from_mapping(node_hashes))
        ):
            self.stored_nodes += sum(map(len, levels or ()))
        else:
            self.restore(saved)
            self.reference_entries(rows, node_hashes, signed)

    def save(self) -> tuple[Any, ...]:
        """The walk's state, for :meth:`restore`."""
        return (self.size, self.prev, self.stack[:], self.checkpoints, self.last_checkpoint,
                self.stored_nodes, self.origin)  # fmt: skip

    def restore(self, saved: tuple[Any, ...]) -> None:
        self.size, self.prev, stack, self.checkpoints, self.last_checkpoint = saved[:5]
        self.stack, (self.stored_nodes, self.origin) = stack[:], saved[5:]

    def fast_entries(
        self,
        rows: list[tuple[Any, ...]],
        signed: Mapping[int, tuple[bytes | None, str]],
        levels: list[list[bytes]] | None,
        positional: bool = False,
    ) -> bool:
        """:func:`ledger.scan.scan` up to each checkpoint, then the checkpoint; the subtree
        hashes completed go to ``levels``, unchecked. False at the first failure (then
        :meth:`restore` the state saved before). ``positional``: rows without their index, which
        is their position (see :func:`ledger.verify.walk_range`)."""
        start, lo = self.size, 0
        for cut in sorted(size - start for size in signed if 0 < size - start <= len(rows)):
            if not self._scan(rows[lo:cut], levels, positional):
                return False
            try:
                self.checkpoint(self.size, *signed[self.size])
            except LogError:
                return False
            lo = cut
        return self._scan(rows[lo:] if lo else rows, levels, positional)

    def _scan(
        self, rows: list[tuple[Any, ...]], levels: list[list[bytes]] | None, positional: bool
    ) -> bool:
        last = scan(rows, self.size, self.prev, self.stack, levels, self.seen, positional)
        if last is not None:
            self.size, self.prev = self.size + len(rows), last
        return last is not None

    def reference_entries(
        self,
        rows: Iterable[tuple[int, bytes, bytes, bytes | str | None]],
        node_hashes: Mapping[int, bytes] | None = None,
        signed: Mapping[int, tuple[bytes | None, str]] | None = None,
    ) -> None:
        """:meth:`entries` by the reference loop: every check in order, raising the first."""
        match, hexlify, sha256 = ENTRY_RE.fullmatch, binascii.hexlify, hashlib.sha256
        stack, prev, expect, seen_ts, checked = self.stack, self.prev, self.size, b"", 0
        for index, data, payload, stored in rows:
            if index != expect:
                raise LogError(expect, "missing" if index > expect else f"duplicate ({index})")
            m = match(data) if data.__class__ is bytes else None  # SQLite columns can hold text
            if m is None:
                raise LogError(index, "entry bytes are not a canonical version-1 entry")
            if int(m["index"]) != index:
                raise LogError(index, f"entry claims index {int(m['index'])}")
            if m["prev"] != hexlify(prev):
                raise LogError(index, "chain link mismatch (prev is not the previous leaf hash)")
            digest = hexlify(sha256(payload).digest()) if payload.__class__ is bytes else None
            if digest != m["payload_sha256"]:
                raise LogError(index, "payload digest mismatch")
            if m["ts"] != seen_ts:  # a batch shares one timestamp: parse each distinct one once
                try:
                    datetime.fromisoformat(m["ts"].decode())
                except ValueError:
                    raise LogError(index, "invalid timestamp") from None
                seen_ts = m["ts"]
            # RFC 9162 §2.1.1 leaf hash and ledger.merkle.push_leaf, inlined on purpose: the
            # calls were a tenth of the verification time (push_leaf alone: 3-5%).
            h = prev = sha256(b"\x00" + data).digest()
            if stored is not None and stored != (h if isinstance(stored, bytes) else h.hex()):
                raise LogError(index, "stored leaf hash mismatch")
            level, i = 0, index
            while i & 1:
                h = sha256(b"\x01" + stack.pop() + h).digest()
                level, i = level + 1, i >> 1
                if node_hashes is not None:
                    found = node_hashes.get(node_key(level, i))
                    if found != h:
                        what = "missing" if found is None else "mismatch"
                        raise LogError(index, f"stored subtree (level {level}, index {i}) {what}")
                    checked += 1
            stack.append(h)
            expect += 1
            if signed is not None and expect in signed:
                self.size, self.prev = expect, prev
                self.checkpoint(expect, *signed[expect])
        self.size, self.prev = expect, prev
        self.stored_nodes += checked

    def checkpoint(self, size: int, stored_root: bytes | None, note: str) -> None:
        """Check a signed checkpoint for the current size (call when ``self.size == size``)."""
        index = size - 1
        if size != self.size or size <= 0:
            raise LogError(index if size > 0 else None, f"checkpoint for size {size} out of place")
        where = f"checkpoint at size {size}"
        try:
            cp = open_checkpoint(note, self.trusted, self.origin)
            opened = open_note_detailed(note, self.known)
        except VerificationError as exc:
            raise LogError(index, f"{where}: {exc}") from None
        if opened.unverified:
            sig = opened.unverified[0]
            unknown = f"{sig.name}+{sig.key_id.hex()}"
            raise LogError(index, f"{where}: signature by unpublished key {unknown}")
        self.origin = cp.origin
        if cp.size != size:
            raise LogError(index, f"{where}: the signed note says size {cp.size}")
        if stored_root is not None and stored_root != cp.root_hash:
            raise LogError(index, f"{where}: stored root hash differs from the signed note")
        if cp.root_hash != fold_root(self.stack):
            raise LogError(index, f"{where}: root hash mismatch")
        self.checkpoints += 1
        self.last_checkpoint = size

    def report(self, keys: int) -> VerifyReport:
        return VerifyReport(
            origin=self.origin,
            size=self.size,
            root_hash=fold_root(self.stack),
            checkpoints=self.checkpoints,
            stored_nodes=self.stored_nodes,
            keys=keys,
            keys_from_log=self.keys_from_log,
        )
