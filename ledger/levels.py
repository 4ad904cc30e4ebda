"""Stored subtree hashes against the ones a walk computed, a level at a time — the RFC 9162 §2.1
complete subtrees of :mod:`ledger.shape`.

A walk collects, by level, the hashes of the subtrees its leaves complete (:func:`new_levels`,
filled by :mod:`ledger.scan`); :func:`levels_match` compares each level with the stored hashes
of the same subtrees in one go, through a :data:`StoredLevel` check: over a mapping
(:func:`from_mapping`) or a database query (:func:`ledger.queries.subtree_hashes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ledger.merkle import HASH_SIZE
from ledger.shape import completed, node_key

__all__ = ["StoredLevel", "from_mapping", "levels_match", "new_levels"]

# Whether the stored hashes of subtrees (level, j) for j in a range, each 32 bytes, concatenated
# in index order, are the given bytes (False if any is absent).
StoredLevel = Callable[[int, range, bytes], bool]


def new_levels() -> list[list[bytes]]:
    """Empty per-level lists of subtree hashes (index = level, 1..63) for a walk to fill."""
    return [[] for _ in range(64)]


def levels_match(levels: list[list[bytes]], lo: int, hi: int, stored: StoredLevel) -> bool:
    """Whether ``levels`` holds exactly the subtrees leaves lo..hi-1 complete, equal to the
    stored ones (compared a level at a time)."""
    for level in range(1, len(levels)):
        indices, found = completed(level, lo, hi), levels[level]
        if len(found) != len(indices):
            return False
        if found and not stored(level, indices, b"".join(found)):
            return False
    return True


def from_mapping(node_hashes: Mapping[int, bytes]) -> StoredLevel:
    """:data:`StoredLevel` over hashes by :func:`ledger.shape.node_key`."""

    def stored(level: int, indices: range, expected: bytes) -> bool:
        keys = range(node_key(level, indices.start), node_key(level, indices.stop))
        hashes = list(map(node_hashes.get, keys))
        try:
            joined = b"".join(hashes)  # type: ignore[arg-type]
        except TypeError:  # one is missing (None) or not bytes
            return False
        # equal in total and none longer than a hash: each is its own hash
        return joined == expected and max(map(len, hashes)) == HASH_SIZE  # type: ignore[arg-type]

    return stored
