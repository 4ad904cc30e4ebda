"""Tests for ledger.checkpoint — C2SP tlog-checkpoint carried in a C2SP signed note.

Known answers:
* C2SP/C2SP tlog-checkpoint.md — the example checkpoint (origin example.com/behind-the-sofa,
  size 20852163). Its verifier key is not published; its key ID is 033de0ae, the ID of the Go
  checksum database key. With the origin line and key name set back to "go.sum database tree" /
  "sum.golang.org" the very same signature verifies under that key, so the example is a
  sum.golang.org checkpoint with renamed lines: that restored form is our signed KAT.
* golang/go src/cmd/go/internal/modfetch/key.go — the sum.golang.org verifier key.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import VerificationError
from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, open_checkpoint, sign_checkpoint
from ledger.merkle import EMPTY_ROOT, leaf_hash, root_hash
from ledger.note import open_note_detailed, parse_note, sign_note
from ledger.note_keys import Signer, Verifier

SPEC_ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
SPEC_SIG_B64 = (
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8="
)
SPEC_EXAMPLE = (
    f"example.com/behind-the-sofa\n20852163\n{SPEC_ROOT_B64}\n\n"
    f"— example.com/behind-the-sofa {SPEC_SIG_B64}\n"
)
SUMDB = Verifier.from_vkey("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
RESTORED = f"go.sum database tree\n20852163\n{SPEC_ROOT_B64}\n\n— sum.golang.org {SPEC_SIG_B64}\n"


# --- known answers ------------------------------------------------------------------------------
def test_spec_example_parses():
    text, [sig] = parse_note(SPEC_EXAMPLE)
    cp = Checkpoint.parse(text)
    assert cp == Checkpoint("example.com/behind-the-sofa", 20852163,
                            base64.b64decode(SPEC_ROOT_B64))  # fmt: skip
    assert cp.to_text() == text
    assert (sig.name, sig.key_id.hex(), len(sig.signature)) == (
        "example.com/behind-the-sofa", "033de0ae", 64)  # fmt: skip


def test_restored_spec_example_verifies_under_the_sum_golang_org_key():
    cp = open_checkpoint(RESTORED, [SUMDB], origin="go.sum database tree")
    assert (cp.size, base64.b64encode(cp.root_hash).decode()) == (20852163, SPEC_ROOT_B64)


def test_spec_example_is_not_verifiable_as_published():
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_checkpoint(SPEC_EXAMPLE, [SUMDB])
    renamed_origin = RESTORED.replace("go.sum database tree", "example.com/behind-the-sofa")
    with pytest.raises(VerificationError, match="invalid signature"):
        open_checkpoint(renamed_origin, [SUMDB])  # the origin line is signed
    with pytest.raises(VerificationError, match="invalid signature"):
        open_checkpoint(RESTORED.replace("20852163", "20852164"), [SUMDB])


# --- round trips --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def log():
    return Signer.generate("elx.example/ledger")


def test_sign_and_open_round_trip(log):
    leaves = [b"entry %d" % i for i in range(7)]
    cp = Checkpoint("elx.example/ledger", 7, root_hash(leaves))
    note = sign_checkpoint(cp, log)
    assert note.startswith(f"elx.example/ledger\n7\n{base64.b64encode(cp.root_hash).decode()}\n\n")
    assert open_checkpoint(note, [log.verifier], origin="elx.example/ledger") == cp
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(note, [log.verifier], origin="elx.example/other")


def test_empty_tree_and_extensions_round_trip(log):
    cp = Checkpoint("elx.example/ledger", 0, EMPTY_ROOT, ("ext one", "— ext two"))
    assert cp.to_text().splitlines()[1:2] == ["0"]
    assert open_checkpoint(sign_checkpoint(cp, log), [log.verifier]) == cp


def test_cosigned_checkpoint(log):
    witness = Signer.generate("witness.example/w1")
    note = sign_checkpoint(Checkpoint("o", 1, leaf_hash(b"x")), log, witness)
    assert open_checkpoint(note, [witness.verifier]).size == 1
    signers = open_note_detailed(note, [log.verifier, witness.verifier]).signers
    assert signers == (log.verifier, witness.verifier)


def test_validly_signed_but_malformed_body_rejected(log):
    note = sign_note(f"origin\n01\n{base64.b64encode(EMPTY_ROOT).decode()}\n", log)
    with pytest.raises(VerificationError, match="malformed checkpoint"):
        open_checkpoint(note, [log.verifier])


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40),
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20),
        max_size=3,
    ),
)
def test_parse_inverts_to_text(origin, size, root, extensions):
    cp = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(cp.to_text()) == cp


# --- strict parsing -----------------------------------------------------------------------------
ROOT = base64.b64encode(EMPTY_ROOT).decode()
URLSAFE_ROOT = base64.urlsafe_b64encode(b"\xff" * 32).decode()  # "_" and "-" are not std base64


@pytest.mark.parametrize(
    "text",
    [
        f"o\n01\n{ROOT}\n",
        f"o\n00\n{ROOT}\n",
        f"o\n-1\n{ROOT}\n",
        f"o\n+1\n{ROOT}\n",
        f"o\n 1\n{ROOT}\n",
        f"o\n1 \n{ROOT}\n",
        f"o\n1_000\n{ROOT}\n",
        f"o\n١\n{ROOT}\n",  # Arabic-Indic digit one
        f"o\n\n{ROOT}\n",
        f"o\n{2**64}\n{ROOT}\n",
        f"o\n0x10\n{ROOT}\n",
        f"\n1\n{ROOT}\n",
        f"o\n1\n{ROOT}",
        f"o\n1\n{ROOT}\n\n",
        f"o\n1\n{ROOT}\next\n\nmore\n",
        f"o\r\n1\r\n{ROOT}\r\n",
        f"o\t\n1\n{ROOT}\n",
        "o\n1\n",
        "o\n1\nAAAA\n",
        f"o\n1\n{base64.b64encode(bytes(33)).decode()}\n",
        f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n",
        f"o\n1\n{ROOT[:-1]}\n",
        f"o\n1\n{ROOT.rstrip('=')}\n",
        f"o\n1\n{ROOT[:-2]}V=\n",  # "U=" with non-zero padding bits
        f"o\n1\n{URLSAFE_ROOT}\n",
        "",
        None,
    ],
)
def test_strict_parse_rejects(text):
    with pytest.raises(ValueError):
        Checkpoint.parse(text)


def test_largest_tree_size_parses():
    assert Checkpoint.parse(f"o\n{MAX_TREE_SIZE}\n{ROOT}\n").size == 2**64 - 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": True},
        {"size": 1.0},
        {"size": 2**64},
        {"root_hash": bytes(31)},
        {"root_hash": ROOT},
        {"root_hash": bytearray(32)},
        {"extensions": ["ok"]},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
    ],
)
def test_constructor_validates(kwargs):
    fields = {"origin": "o", "size": 1, "root_hash": EMPTY_ROOT, **kwargs}
    with pytest.raises(ValueError):
        Checkpoint(**fields)
