"""Merkle Tree Hash, audit paths and consistency proofs — RFC 9162 §2.1.

* MTH({}) = SHA-256(""); leaf = SHA-256(0x00 ‖ d); node = SHA-256(0x01 ‖ left ‖ right);
  a tree of n > 1 leaves splits at k, the largest power of two smaller than n (§2.1.1).
* PATH(m, D[n]) — the inclusion proof of leaf m (0-based), §2.1.3.1.
* PROOF(m, D[n]) = SUBPROOF(m, D[n], true) — the consistency proof, §2.1.4.1.

The ``*_from_hashes`` functions work on precomputed leaf hashes (what the persistent store
keeps); the data-taking functions hash the leaves and call them. Every function hashes each
node at most once: roots are folded with a stack of perfect subtrees (O(n) time, O(log n) memory)
and a proof only hashes the subtrees whose roots it returns (O(n) in total).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "consistency_proof_from_hashes",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "leaf_hash",
    "node_hash",
    "root_from_hashes",
    "root_hash",
]


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 ‖ data), the RFC 9162 hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 ‖ left ‖ right), the RFC 9162 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _checked(h: bytes) -> bytes:
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        raise ValueError(f"leaf hashes must be {HASH_SIZE}-byte bytes values, got {h!r:.80}")
    return h


def root_from_hashes(hashes: Iterable[bytes]) -> bytes:
    """MTH over leaves given by their leaf hashes, in one pass (RFC 9162 §2.1.1)."""
    stack: list[bytes] = []  # roots of perfect subtrees, sizes strictly decreasing
    for count, h in enumerate(hashes, 1):
        stack.append(_checked(h))
        c = count
        while not c & 1:  # each trailing zero bit of count is a merge of two equal subtrees
            right = stack.pop()
            stack.append(node_hash(stack.pop(), right))
            c >>= 1
    if not stack:
        return EMPTY_ROOT
    root = stack.pop()
    while stack:  # the right-most (smallest) subtrees hang off the right spine
        root = node_hash(stack.pop(), root)
    return root


def _range_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root_from_hashes(hashes[i] for i in range(lo, hi))


def inclusion_proof_from_hashes(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) over leaf hashes, leaf-side first (RFC 9162 §2.1.3.1)."""
    n = len(hashes)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ValueError(f"leaf index {index!r} out of range for a tree of size {n}")
    proof: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:  # walk down from the root; the recursion of §2.1.3.1 unrolled
        mid = lo + _split(hi - lo)
        if index < mid:
            proof.append(_range_root(hashes, mid, hi))
            hi = mid
        else:
            proof.append(_range_root(hashes, lo, mid))
            lo = mid
    _checked(hashes[index])
    proof.reverse()
    return proof


def consistency_proof_from_hashes(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) over leaf hashes (RFC 9162 §2.1.4.1); [] when old_size == n."""
    n = len(hashes)
    if isinstance(old_size, bool) or not isinstance(old_size, int) or not 1 <= old_size <= n:
        raise ValueError(f"old size {old_size!r} out of range 1..{n}")
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True  # whole: SUBPROOF's flag b
    while m != hi - lo:  # SUBPROOF(m, D[lo:hi], whole) with m < hi - lo
        k = _split(hi - lo)
        if m <= k:
            proof.append(_range_root(hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_root(hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:  # m == hi - lo and b is false: the old subtree's own root
        proof.append(_range_root(hashes, lo, hi))
    proof.reverse()
    return proof


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for raw leaf data (RFC 9162 §2.1.1)."""
    return root_from_hashes(leaf_hash(d) for d in leaves)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) for raw leaf data; index is 0-based (RFC 9162 §2.1.3.1)."""
    return inclusion_proof_from_hashes([leaf_hash(d) for d in leaves], index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) for raw leaf data (RFC 9162 §2.1.4.1)."""
    return consistency_proof_from_hashes([leaf_hash(d) for d in leaves], old_size)
