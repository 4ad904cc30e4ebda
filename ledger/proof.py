"""Verification of inclusion and consistency proofs — RFC 9162 §2.1.3.2 and §2.1.4.2.

Besides the RFC algorithms this enforces the rules of DESIGN.md: every hash (leaf hash, roots,
each proof element) is a ``bytes`` value of exactly 32 bytes; sizes and indexes are ints with
0 <= index < size; a consistency proof from size 0, or from a larger to a smaller tree, is
rejected; equal sizes need an empty proof and equal roots; missing or trailing proof elements are
rejected. ``verify_*`` return None or raise :class:`ledger.VerificationError`.

Note that a proof authenticates a leaf against a *root*; the tree size is authenticated by the
signed checkpoint carrying that root, not by the proof (a proof may also fit another size whose
tree has the same shape along the audit path).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from ledger import VerificationError
from ledger.merkle import HASH_SIZE, node_hash

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]


def _hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise VerificationError(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return value


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VerificationError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise VerificationError(f"{what} must not be negative, got {value}")
    return value


def _path(proof: object) -> list[bytes]:
    if not isinstance(proof, (list, tuple)):
        raise VerificationError(f"proof must be a list of hashes, not {type(proof).__name__}")
    return [_hash(p, f"proof element {i}") for i, p in enumerate(proof)]


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from an audit path (RFC 9162 §2.1.3.2 steps 1–4, plus sn == 0)."""
    leaf = _hash(leaf_hash, "leaf hash")
    index, size = _count(index, "index"), _count(size, "tree size")
    path = _path(proof)
    if index >= size:
        raise VerificationError(f"index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerificationError("inclusion proof has too many elements")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("inclusion proof has too few elements")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the size-``size`` tree with ``root``."""
    expected = _hash(root, "root hash")
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(computed, expected):
        raise VerificationError(f"inclusion proof for index {index} does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    old_size, new_size = _count(old_size, "old size"), _count(new_size, "new size")
    old_root, new_root = _hash(old_root, "old root"), _hash(new_root, "new root")
    path = _path(proof)
    if old_size == 0:
        raise VerificationError("consistency from an empty tree is not proven by a proof")
    if old_size > new_size:
        raise VerificationError(f"old size {old_size} exceeds new size {new_size}")
    if old_size == new_size:
        if path:
            raise VerificationError("consistency proof between equal sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise VerificationError("roots differ for equal tree sizes")
        return
    if not path:
        raise VerificationError("consistency proof is empty")
    if old_size & (old_size - 1) == 0:  # step 2: old tree is perfect, its root is implicit
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof has too many elements")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("consistency proof has too few elements")
    if not hmac.compare_digest(fr, old_root):
        raise VerificationError("consistency proof does not lead to the old root")
    if not hmac.compare_digest(sr, new_root):
        raise VerificationError("consistency proof does not lead to the new root")
