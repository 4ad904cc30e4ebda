"""Tree shape: which complete subtrees make up a root or a proof — RFC 9162 §2.1.

The store keeps the hash of every complete, aligned subtree: (level, index) covers leaves
``index << level`` .. ``(index + 1) << level`` - 1 and is stored under :func:`node_key`. A root
or a proof element over a leaf range is then a fold of the few subtrees covering that range
(:func:`subtrees`); :func:`inclusion_ranges` and :func:`consistency_ranges` name the leaf ranges
of PATH (§2.1.3.1) and PROOF (§2.1.4.1), for :mod:`ledger.merkle`'s in-memory proofs and
the store's alike. Pure arithmetic: no hashing, no SQL.
"""

from __future__ import annotations

__all__ = [
    "LEVEL_SHIFT",
    "completed",
    "consistency_ranges",
    "inclusion_ranges",
    "node_key",
    "node_position",
    "subtrees",
]

LEVEL_SHIFT = 56


def node_key(level: int, index: int) -> int:
    """Key of the complete subtree of 2**level leaves starting at leaf ``index << level``."""
    return (level << LEVEL_SHIFT) | index


def node_position(key: int) -> tuple[int, int]:
    """The (level, index) of a :func:`node_key`."""
    return key >> LEVEL_SHIFT, key & ((1 << LEVEL_SHIFT) - 1)


def completed(level: int, lo: int, hi: int) -> range:
    """Indices of the level-``level`` subtrees that leaves lo..hi-1 complete: subtree (level, j)
    ends at leaf 2**level * (j + 1) - 1."""
    return range(-(-(lo + 1) >> level) - 1, hi >> level)


def _split(n: int) -> int:
    """k of RFC 9162 §2.1.1: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


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
