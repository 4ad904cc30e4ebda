"""Merkle Tree Hash, audit paths and consistency proofs — RFC 9162 §2.1.

* MTH({}) = SHA-256(""); leaf = SHA-256(0x00 ‖ d); node = SHA-256(0x01 ‖ left ‖ right);
  a tree of n > 1 leaves splits at k, the largest power of two smaller than n (§2.1.1).
* PATH(m, D[n]) — the inclusion proof of leaf m (0-based), §2.1.3.1.
* PROOF(m, D[n]) = SUBPROOF(m, D[n], true) — the consistency proof, §2.1.4.1.
  Both recursions are unrolled once, into the leaf ranges of :mod:`ledger.shape`, which the
  persistent store's proofs use too.

The ``*_from_hashes`` functions work on precomputed leaf hashes (what the persistent store
keeps); the data-taking functions hash the leaves and call them. Every function hashes each
node at most once: roots are folded with a stack of perfect subtrees (O(n) time, O(log n) memory)
and a proof only hashes the subtrees whose roots it returns (O(n) in total). That stack is
shared with the store and the log walker: :func:`push_leaf` adds a leaf and returns the
subtrees it completes, :func:`fold_root` folds the stack into the root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ledger.shape import consistency_ranges, inclusion_ranges

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "consistency_proof_from_hashes",
    "fold_root",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "leaf_hash",
    "node_hash",
    "push_leaf",
    "root_from_hashes",
    "root_hash",
]


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 ‖ data), the RFC 9162 hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 ‖ left ‖ right), the RFC 9162 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _checked(h: bytes) -> bytes:
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        raise ValueError(f"leaf hashes must be {HASH_SIZE}-byte bytes values, got {h!r:.80}")
    return h


def push_leaf(stack: list[bytes], index: int, h: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf ``index`` with hash ``h`` to ``stack``, the roots of the perfect subtrees over
    leaves 0..index-1 (largest first), and return the subtrees it completes as (level, i, hash):
    each trailing 1 bit of ``index`` is a right child whose parent is now whole (§2.1.1)."""
    done = []
    level = 0
    while index & 1:
        h = node_hash(stack.pop(), h)
        level, index = level + 1, index >> 1
        done.append((level, index, h))
    stack.append(h)
    return done


def fold_root(stack: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees given by their roots, largest first: a right fold,
    since the smaller subtrees hang off the right spine (RFC 9162 §2.1.1)."""
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return root


def root_from_hashes(hashes: Iterable[bytes]) -> bytes:
    """MTH over leaves given by their leaf hashes, in one pass (RFC 9162 §2.1.1)."""
    stack: list[bytes] = []
    for index, h in enumerate(hashes):
        push_leaf(stack, index, _checked(h))
    return fold_root(stack)


def _range_roots(hashes: Sequence[bytes], ranges: list[tuple[int, int]]) -> list[bytes]:
    """MTH of each leaf range, hashed root side first (the order RFC 9162's recursion meets
    them, so the first malformed hash reported does not depend on how the ranges are listed)."""
    roots = [root_from_hashes(hashes[i] for i in range(lo, hi)) for lo, hi in reversed(ranges)]
    roots.reverse()
    return roots


def inclusion_proof_from_hashes(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) over leaf hashes, leaf-side first (RFC 9162 §2.1.3.1)."""
    n = len(hashes)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ValueError(f"leaf index {index!r} out of range for a tree of size {n}")
    proof = _range_roots(hashes, inclusion_ranges(index, n))
    _checked(hashes[index])
    return proof


def consistency_proof_from_hashes(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) over leaf hashes (RFC 9162 §2.1.4.1); [] when old_size == n."""
    n = len(hashes)
    if isinstance(old_size, bool) or not isinstance(old_size, int) or not 1 <= old_size <= n:
        raise ValueError(f"old size {old_size!r} out of range 1..{n}")
    return _range_roots(hashes, consistency_ranges(old_size, n))


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for raw leaf data (RFC 9162 §2.1.1)."""
    return root_from_hashes(leaf_hash(d) for d in leaves)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) for raw leaf data; index is 0-based (RFC 9162 §2.1.3.1)."""
    return inclusion_proof_from_hashes([leaf_hash(d) for d in leaves], index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) for raw leaf data (RFC 9162 §2.1.4.1)."""
    return consistency_proof_from_hashes([leaf_hash(d) for d in leaves], old_size)
