"""Tests for ledger.shape — which complete subtrees make up a root or a proof (RFC 9162 §2.1).

Oracle: the RFC's own recursive definitions of MTH, PATH and SUBPROOF, written literally in
test_merkle.py (``ref_mth``, ``ref_path``, ``ref_proof``; themselves checked there against the
transparency-dev/merkle published vectors).
"""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from ledger.merkle import fold_root, leaf_hash, root_from_hashes
from ledger.shape import (
    LEVEL_SHIFT,
    consistency_ranges,
    inclusion_ranges,
    node_key,
    node_position,
    subtrees,
)
from tests.unit.ledger.test_merkle import ref_mth, ref_path, ref_proof


def leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


@given(st.integers(1, 600), st.data())
def test_proof_ranges_are_the_rfc_recursion(size: int, data: st.DataObject) -> None:
    d = leaves(size)
    index, old = data.draw(st.integers(0, size - 1)), data.draw(st.integers(1, size))
    assert [ref_mth(d[lo:hi]) for lo, hi in inclusion_ranges(index, size)] == ref_path(index, d)
    assert [ref_mth(d[lo:hi]) for lo, hi in consistency_ranges(old, size)] == ref_proof(old, d)


@given(st.integers(0, 2**40), st.integers(1, 2**40))
def test_subtrees_tile_a_range_with_aligned_perfect_subtrees(lo: int, width: int) -> None:
    hi = lo + width
    parts = subtrees(lo, hi)
    spans = [(index << level, (index + 1) << level) for level, index in parts]
    assert spans[0][0] == lo and spans[-1][1] == hi
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # contiguous
    assert len(parts) <= 2 * hi.bit_length()  # O(log n) reads per root


@given(st.integers(1, 300), st.data())
def test_subtrees_of_an_rfc_range_fold_to_its_root(size: int, data: st.DataObject) -> None:
    """The store's proof elements: each range's subtrees, folded, are that range's MTH."""
    d = leaves(size)
    ranges = inclusion_ranges(data.draw(st.integers(0, size - 1)), size)
    ranges += [*consistency_ranges(data.draw(st.integers(1, size)), size), (0, size)]
    for lo, hi in ranges:
        hashes = [root_from_hashes(leaf_hash(x) for x in d[i << lv : (i + 1) << lv])
                  for lv, i in subtrees(lo, hi)]
        assert fold_root(hashes) == ref_mth(d[lo:hi])


@given(st.integers(0, 63), st.integers(0, 2**LEVEL_SHIFT - 1))
def test_node_key_is_unique_and_reversible(level: int, index: int) -> None:
    key = node_key(level, index)
    assert node_position(key) == (level, index)
    assert key >> LEVEL_SHIFT == level  # leaves (level 0) are keyed by their own index
