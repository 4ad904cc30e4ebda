"""Tests for ledger.merkle — RFC 9162 §2.1 tree hash, PATH and PROOF.

Known-answer vectors: transparency-dev/merkle, proof/verify_test.go (`leaves`, `roots`,
`inclusionProofs`, `consistencyProofs`; originally the RFC 6962 test data of
google/certificate-transparency cpp/merkletree/merkle_tree_test.cc). The empty-tree root is
SHA-256("") (RFC 9162 §2.1.1; `sha256EmptyTreeHash` in the same file).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.merkle import (
    consistency_proof,
    consistency_proof_from_hashes,
    fold_root,
    inclusion_proof,
    inclusion_proof_from_hashes,
    leaf_hash,
    push_leaf,
    root_from_hashes,
    root_hash,
)
from tests.unit.ledger.vectors import CONSISTENCY, EMPTY_ROOT, INCLUSION, LEAVES, ROOTS


# --- naive reference, transcribed from the RFC 9162 §2.1 definitions -----------------------------
def _sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return _sha(b"")
    if len(d) == 1:
        return _sha(b"\x00" + d[0])
    k = _k(len(d))
    return _sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


# --- known answers ------------------------------------------------------------------------------
def test_empty_tree_root_is_sha256_of_nothing():
    assert root_hash([]).hex() == EMPTY_ROOT
    assert root_from_hashes(iter(())).hex() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_published_vectors(size):
    assert root_hash(LEAVES[:size]).hex() == ROOTS[size - 1]


def test_leaf_hash_of_empty_leaf_is_published_single_leaf_root():
    assert leaf_hash(b"").hex() == ROOTS[0]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_published_vectors(index, size, path):
    assert [p.hex() for p in inclusion_proof(LEAVES[:size], index)] == path


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_published_vectors(old, new, path):
    assert [p.hex() for p in consistency_proof(LEAVES[:new], old)] == path


def test_reference_reproduces_published_vectors():
    # The reference must itself be right before it is used as an oracle below.
    assert [ref_mth(LEAVES[:n]).hex() for n in range(1, 9)] == ROOTS
    for index, size, path in INCLUSION:
        assert [p.hex() for p in ref_path(index, LEAVES[:size])] == path
    for old, new, path in CONSISTENCY:
        assert [p.hex() for p in ref_proof(old, LEAVES[:new])] == path


# --- agreement with the reference ---------------------------------------------------------------
@pytest.mark.parametrize("n", range(1, 21))
def test_exhaustive_agreement_with_reference_for_small_trees(n):
    d = [i.to_bytes(2, "big") * (i % 3) for i in range(n)]
    assert root_hash(d) == ref_mth(d)
    for m in range(n):
        assert inclusion_proof(d, m) == ref_path(m, d)
    for m in range(1, n + 1):
        assert consistency_proof(d, m) == ref_proof(m, d)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), d=st.lists(st.binary(max_size=12), min_size=1, max_size=300))
def test_random_logs_agree_with_reference(data, d):
    n = len(d)
    assert root_hash(d) == ref_mth(d)
    hashes = [leaf_hash(x) for x in d]
    for _ in range(4):
        size = data.draw(st.integers(1, n), label="size")
        m = data.draw(st.integers(0, size - 1), label="index")
        assert inclusion_proof_from_hashes(hashes[:size], m) == ref_path(m, d[:size])
        old = data.draw(st.integers(1, size), label="old size")
        assert consistency_proof_from_hashes(hashes[:size], old) == ref_proof(old, d[:size])


def test_hash_functions_accept_any_sequence_and_iterables():
    d = [bytes([i]) for i in range(11)]
    hashes = [leaf_hash(x) for x in d]
    assert root_from_hashes(iter(hashes)) == root_hash(tuple(d)) == ref_mth(d)
    assert inclusion_proof_from_hashes(tuple(hashes), 4) == ref_path(4, d)


@given(st.integers(1, 300))
def test_push_leaf_reports_each_completed_subtree_once(n):
    """Pushing leaves 0..n-1 yields every perfect aligned subtree inside them, with its MTH,
    and leaves a stack that folds to MTH(D[n]) (the store saves exactly these nodes)."""
    d = [i.to_bytes(2, "big") for i in range(n)]
    stack: list[bytes] = []
    done = [t for i, x in enumerate(d) for t in push_leaf(stack, i, leaf_hash(x))]
    expected = [
        (level, i, ref_mth(d[i << level : (i + 1) << level]))
        for level in range(1, n.bit_length())
        for i in range(n >> level)
    ]
    assert sorted(done) == sorted(expected)
    assert fold_root(stack) == ref_mth(d)
    assert len(stack) == n.bit_count()  # one perfect subtree per set bit of the size


def test_fold_root_of_nothing_is_the_empty_root():
    assert fold_root([]) == ref_mth([])


# --- efficiency, measured in hash operations (not time) -----------------------------------------
@pytest.fixture
def node_hash_calls(monkeypatch):
    calls = []
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        calls.append(1)
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    return calls


@pytest.mark.parametrize("n", [1, 2, 5, 64, 1000, 4097])
def test_root_hashes_each_interior_node_once(n, node_hash_calls):
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root_from_hashes(hashes)
    assert len(node_hash_calls) == n - 1  # a binary tree with n leaves has n - 1 interior nodes


@pytest.mark.parametrize("n", [2, 7, 1000, 4097])
def test_proofs_hash_each_node_at_most_once(n, node_hash_calls):
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    for index in (0, n // 3, n - 1):
        node_hash_calls.clear()
        inclusion_proof_from_hashes(hashes, index)
        assert len(node_hash_calls) <= n - 1
    for old in (1, n // 3 or 1, n - 1):
        node_hash_calls.clear()
        consistency_proof_from_hashes(hashes, old)
        assert len(node_hash_calls) <= n - 1


# --- argument checking --------------------------------------------------------------------------
@pytest.mark.parametrize("index", [-1, 5, 6, True, 1.0, None])
def test_inclusion_index_out_of_range(index):
    with pytest.raises(ValueError, match="index"):
        inclusion_proof([b"a"] * 5, index)


def test_inclusion_proof_of_empty_tree_is_an_error():
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


@pytest.mark.parametrize("old", [0, -1, 6, False, None])
def test_consistency_old_size_out_of_range(old):
    with pytest.raises(ValueError, match="old size"):
        consistency_proof([b"a"] * 5, old)


def test_consistency_proof_to_the_same_size_is_empty():
    assert consistency_proof([b"a", b"b", b"c"], 3) == []


@pytest.mark.parametrize("bad", [b"\x00" * 31, b"\x00" * 33, "00" * 32, bytearray(32)])
def test_hash_functions_reject_malformed_leaf_hashes(bad):
    good = leaf_hash(b"x")
    with pytest.raises(ValueError, match="32-byte"):
        root_from_hashes([good, bad])
    with pytest.raises(ValueError, match="32-byte"):
        inclusion_proof_from_hashes([good, good, bad], 0)
    with pytest.raises(ValueError, match="32-byte"):
        consistency_proof_from_hashes([good, bad], 1)


def test_leaf_hash_rejects_text_and_ints():
    with pytest.raises(TypeError):
        leaf_hash("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        leaf_hash(5)  # type: ignore[arg-type]
