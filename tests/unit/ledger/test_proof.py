"""Tests for ledger.proof — RFC 9162 §2.1.3.2 / §2.1.4.2 verification plus the DESIGN.md rules.

Known-answer vectors: transparency-dev/merkle, proof/verify_test.go (`roots`, `inclusionProofs`,
`consistencyProofs`, and the edge cases of TestVerifyInclusion / TestVerifyConsistency). Where
that file accepts consistency from size 0, DESIGN.md deliberately rejects it.

Changing a size or index while keeping proof and root fixed must fail unless the audit path has
the same *shape* (the sequence of sibling sides, which is all the verifier computes from the
numbers): RFC 9162 proofs authenticate a root, and the size is authenticated by the signed
checkpoint. The shape is computed here from the RFC's recursive definitions, independently of
ledger.proof, and the tests assert "accepted if and only if the shape is unchanged".
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import VerificationError
from ledger.merkle import (
    consistency_proof_from_hashes,
    inclusion_proof_from_hashes,
    leaf_hash,
    root_from_hashes,
)
from ledger.proof import root_from_inclusion_proof, verify_consistency, verify_inclusion
from tests.unit.ledger.vectors import CONSISTENCY, INCLUSION, LEAVES
from tests.unit.ledger.vectors import ROOTS as HEX_ROOTS

H = bytes.fromhex
ROOTS = [H(h) for h in HEX_ROOTS]
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path_shape(m: int, n: int) -> tuple[str, ...] | None:
    """Sides of PATH(m, D[n]) (RFC 9162 §2.1.3.1) leaf-side first; None if m is out of range."""
    if not 0 <= m < n:
        return None
    if n == 1:
        return ()
    k = _k(n)
    if m < k:
        return (*path_shape(m, k), "R")
    return (*path_shape(m - k, n - k), "L")


def proof_shape(m: int, n: int, b: bool = True) -> tuple[str, ...] | None:
    """Roles in SUBPROOF(m, D[n], b) (RFC 9162 §2.1.4.1): S(eed), L(eft), R(ight)."""
    if not 0 < m < n:
        return None  # equal sizes and size 0 are special-cased by the verifier
    k = _k(n)
    if m <= k:
        inner = () if m == k and b else ("S",) if m == k else proof_shape(m, k, b)
        return (*inner, "R")
    return (*proof_shape(m - k, n - k, False), "L")  # 0 < m - k < n - k here


def _same(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    return a is not None and a == b


def _rejects(fn, *args) -> bool:
    try:
        fn(*args)
    except VerificationError:
        return True
    return False


def _flips(h: bytes):
    for bit in range(len(h) * 8):
        b = bytearray(h)
        b[bit // 8] ^= 1 << (bit % 8)
        yield bytes(b)


def _tree(n: int) -> list[bytes]:
    return [leaf_hash(b"leaf %d" % i) for i in range(n)]


# --- known answers ------------------------------------------------------------------------------
@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_published_inclusion_proofs_verify(index, size, path):
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, [H(p) for p in path], ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_published_consistency_proofs_verify(old, new, path):
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], [H(p) for p in path])


def test_single_entry_tree_root_is_the_leaf_hash():
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    assert _rejects(verify_inclusion, h, 0, 1, [], SOME_HASH)
    assert _rejects(verify_inclusion, h, 0, 1, [], b"")
    assert _rejects(verify_inclusion, b"", 0, 1, [], h)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1)])
def test_index_outside_tree_rejected(index, size):
    with pytest.raises(VerificationError, match="index"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_consistency_edge_cases():
    r1, r2 = leaf_hash(b"1"), leaf_hash(b"2")
    verify_consistency(1, 1, r1, r1, [])
    verify_consistency(5, 5, r2, r2, ())
    cases = [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], "empty tree"),
        (0, 1, EMPTY_ROOT, r1, [], "empty tree"),
        (0, 5, r1, r2, [SOME_HASH], "empty tree"),
        (1, 1, r1, r2, [], "roots differ"),
        (1, 1, r1, r1, [EMPTY_ROOT], "must be empty"),
        (1, 0, r1, r2, [], "exceeds"),
        (2, 1, r1, r2, [], "exceeds"),
        (1, 2, r1, r2, [], "empty"),
    ]
    for old, new, a, b, proof, message in cases:
        with pytest.raises(VerificationError, match=message):
            verify_consistency(old, new, a, b, proof)


# --- types and sizes of every input ------------------------------------------------------------
BAD_HASHES = [b"", b"\x00" * 31, b"\x00" * 33, "00" * 32, bytearray(32), memoryview(bytes(32)),
              None, 0]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_HASHES)
def test_malformed_hashes_rejected_everywhere(bad):
    hashes = _tree(5)
    root, proof = root_from_hashes(hashes), inclusion_proof_from_hashes(hashes, 2)
    cproof, old = consistency_proof_from_hashes(hashes, 3), root_from_hashes(hashes[:3])
    for args in [
        (bad, 2, 5, proof, root),
        (hashes[2], 2, 5, proof, bad),
        (hashes[2], 2, 5, [proof[0], bad, *proof[2:]], root),
    ]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    for args in [(3, 5, bad, root, cproof), (3, 5, old, bad, cproof), (3, 5, old, root, [bad])]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)


@pytest.mark.parametrize("bad", [True, 2.0, "2", None, -1])
def test_non_int_or_negative_numbers_rejected(bad):
    hashes = _tree(5)
    root, proof = root_from_hashes(hashes), inclusion_proof_from_hashes(hashes, 2)
    with pytest.raises(VerificationError):
        verify_inclusion(hashes[2], bad, 5, proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(hashes[2], 2, bad, proof, root)
    with pytest.raises(VerificationError):
        verify_consistency(bad, 5, root, root, [])
    with pytest.raises(VerificationError):
        verify_consistency(3, bad, root, root, [])


@pytest.mark.parametrize("bad", [b"\x00" * 32, "x", None, iter([SOME_HASH]), {SOME_HASH}])
def test_proof_must_be_a_list_or_tuple(bad):
    with pytest.raises(VerificationError, match="proof"):
        verify_inclusion(SOME_HASH, 0, 2, bad, SOME_HASH)
    with pytest.raises(VerificationError, match="proof"):
        verify_consistency(1, 2, SOME_HASH, SOME_HASH, bad)


# --- mutations ----------------------------------------------------------------------------------
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 100]


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_mutations_rejected(size):
    hashes = _tree(size + 1)  # one extra leaf so that size + 1 is a real tree too
    root = root_from_hashes(hashes[:size])
    for index in sorted({0, 1, size // 2, size - 2, size - 1} & set(range(size))):
        leaf, proof = hashes[index], inclusion_proof_from_hashes(hashes[:size], index)
        verify_inclusion(leaf, index, size, proof, root)
        probes = [(f, index, size, proof, root) for f in _flips(leaf)]
        probes += [(leaf, index, size, proof, f) for f in _flips(root)]
        for i, element in enumerate(proof):
            probes += [(leaf, index, size, [*proof[:i], f, *proof[i + 1 :]], root)
                       for f in _flips(element)]  # fmt: skip
        if proof:
            probes += [(leaf, index, size, proof[:-1], root), (leaf, index, size, proof[1:], root)]
        for extra in (SOME_HASH, root, leaf, EMPTY_ROOT):
            probes += [(leaf, index, size, [*proof, extra], root),
                       (leaf, index, size, [extra, *proof], root)]  # fmt: skip
        probes += [(leaf, index, size, list(reversed(proof)), root)] if len(proof) > 1 else []
        for probe in probes:
            assert _rejects(verify_inclusion, *probe), probe[1:3]
        for i, n in [(index - 1, size), (index + 1, size), (index, size - 1), (index, size + 1),
                     (index ^ 2, size), (index, size * 2), (index, size // 2)]:  # fmt: skip
            if i < 0:
                continue
            same_shape = _same(path_shape(i, n), path_shape(index, size))
            accepted = not _rejects(verify_inclusion, leaf, i, n, proof, root)
            assert accepted == same_shape, (index, size, i, n)


@pytest.mark.parametrize("new", [s for s in SIZES if s > 1])
def test_consistency_mutations_rejected(new):
    hashes = _tree(new + 1)
    new_root = root_from_hashes(hashes[:new])
    for old in sorted({1, 2, new // 2, new - 2, new - 1} & set(range(1, new))):
        old_root = root_from_hashes(hashes[:old])
        proof = consistency_proof_from_hashes(hashes[:new], old)
        verify_consistency(old, new, old_root, new_root, proof)
        probes = [(old, new, f, new_root, proof) for f in _flips(old_root)]
        probes += [(old, new, old_root, f, proof) for f in _flips(new_root)]
        for i, element in enumerate(proof):
            probes += [(old, new, old_root, new_root, [*proof[:i], f, *proof[i + 1 :]])
                       for f in _flips(element)]  # fmt: skip
        probes += [(old, new, old_root, new_root, proof[:-1]),
                   (old, new, old_root, new_root, proof[1:]),
                   (old, new, new_root, old_root, proof),
                   (old, new, old_root, new_root, [])]  # fmt: skip
        for extra in (SOME_HASH, old_root, new_root, proof[0]):
            probes += [(old, new, old_root, new_root, [*proof, extra]),
                       (old, new, old_root, new_root, [extra, *proof])]  # fmt: skip
        for probe in probes:
            assert _rejects(verify_consistency, *probe), probe[:2]
        for m, n in [(old - 1, new), (old + 1, new), (old, new - 1), (old, new + 1),
                     (old ^ 2, new), (old, new * 2), (old, new // 2)]:  # fmt: skip
            same_shape = _same(proof_shape(m, n), proof_shape(old, new))
            accepted = not _rejects(verify_consistency, m, n, old_root, new_root, proof)
            assert accepted == same_shape, (old, new, m, n)


def test_missing_and_trailing_elements_are_named_in_the_error():
    hashes = _tree(6)
    root, proof = root_from_hashes(hashes), inclusion_proof_from_hashes(hashes, 2)
    with pytest.raises(VerificationError, match="too many elements"):
        verify_inclusion(hashes[2], 2, 6, [*proof, SOME_HASH], root)
    with pytest.raises(VerificationError, match="too few elements"):
        verify_inclusion(hashes[2], 2, 6, proof[:-1], root)
    old_root, cproof = root_from_hashes(hashes[:3]), consistency_proof_from_hashes(hashes, 3)
    with pytest.raises(VerificationError, match="too many elements"):
        verify_consistency(3, 6, old_root, root, [*cproof, SOME_HASH])
    with pytest.raises(VerificationError, match="too few elements"):
        verify_consistency(3, 6, old_root, root, cproof[:-1])


def test_shape_coincidence_is_real_and_only_fools_a_caller_that_ignores_the_size():
    # PATH(0, D[3]) and PATH(0, D[4]) have the same shape (R, R): the size-3 proof also "fits"
    # a 4-leaf tree whose right subtree hash happens to be leaf 2's hash. The size, not the
    # proof, must come from the signed checkpoint.
    hashes = _tree(3)
    proof, root = inclusion_proof_from_hashes(hashes, 0), root_from_hashes(hashes)
    assert path_shape(0, 3) == path_shape(0, 4) == ("R", "R")
    verify_inclusion(hashes[0], 0, 4, proof, root)
    assert root_from_inclusion_proof(hashes[0], 0, 3, proof) == root


# --- properties ---------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 300))
def test_all_sampled_proofs_of_random_logs_verify(data, n):
    seed = data.draw(st.binary(min_size=1, max_size=8), label="seed")
    hashes = [leaf_hash(seed + i.to_bytes(2, "big")) for i in range(n)]
    roots = {}
    for _ in range(5):
        size = data.draw(st.integers(1, n), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        roots.setdefault(size, root_from_hashes(hashes[:size]))
        proof = inclusion_proof_from_hashes(hashes[:size], index)
        verify_inclusion(hashes[index], index, size, proof, roots[size])
        old = data.draw(st.integers(1, size), label="old size")
        roots.setdefault(old, root_from_hashes(hashes[:old]))
        cproof = consistency_proof_from_hashes(hashes[:size], old)
        verify_consistency(old, size, roots[old], roots[size], cproof)


def test_every_proof_of_a_small_log_verifies():
    n = 40
    hashes = _tree(n)
    roots = [root_from_hashes(hashes[:s]) for s in range(n + 1)]
    for size in range(1, n + 1):
        for index in range(size):
            proof = inclusion_proof_from_hashes(hashes[:size], index)
            verify_inclusion(hashes[index], index, size, proof, roots[size])
        for old in range(1, size + 1):
            proof = consistency_proof_from_hashes(hashes[:size], old)
            verify_consistency(old, size, roots[old], roots[size], proof)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), data=st.data())
def test_proof_from_another_log_is_rejected(n, data):
    a = _tree(n)
    b = [leaf_hash(b"other %d" % i) for i in range(n)]
    index = data.draw(st.integers(0, n - 1))
    with pytest.raises(VerificationError):
        verify_inclusion(a[index], index, n, inclusion_proof_from_hashes(b, index),
                         root_from_hashes(a))  # fmt: skip
    old = data.draw(st.integers(1, n - 1))
    with pytest.raises(VerificationError):
        verify_consistency(old, n, root_from_hashes(a[:old]), root_from_hashes(b),
                           consistency_proof_from_hashes(a, old))  # fmt: skip
