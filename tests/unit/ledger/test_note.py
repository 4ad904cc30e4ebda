"""Tests for ledger.note — C2SP signed-note with Ed25519.

Known-answer vectors: golang.org/x/mod, sumdb/note/note_test.go (TestNewVerifier, TestNewSigner,
TestSign, TestOpen): the PeterNeumann and EnochRoot keys, the signed note, its signatures, the
malformed-message table and the 100-signature limit. Ed25519 is deterministic (RFC 8032), so
signing with the published private key must reproduce the published note byte for byte.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import VerificationError
from ledger import note_keys as note_keys_module
from ledger.note import (
    MAX_SIGNATURES,
    cosign_note,
    open_note,
    open_note_detailed,
    parse_note,
    sign_note,
)
from ledger.note_keys import Signer, Verifier

# golang.org/x/mod sumdb/note/note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"
PETER = Verifier.from_vkey(PETER_VKEY)
ENOCH = Verifier.from_vkey(ENOCH_VKEY)


# --- known answers ------------------------------------------------------------------------------
def test_go_signer_reproduces_published_note():
    signer = Signer.from_skey(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.vkey == PETER_VKEY
    assert signer.to_skey() == PETER_SKEY
    assert sign_note(TEXT, signer) == TEXT + "\n" + PETER_SIG


def test_go_verifier_key_parses_and_round_trips():
    assert (PETER.name, PETER.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert PETER.vkey == PETER_VKEY
    assert ENOCH.key_id.hex() == "af0cfe78"


def test_go_note_opens_with_known_key_and_ignores_unknown_one():
    opened = open_note_detailed(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER])
    assert opened.text == TEXT
    assert opened.signers == (PETER,)
    [enoch] = opened.unverified
    assert (enoch.name, enoch.key_id.hex()) == ("EnochRoot", "af0cfe78")
    assert enoch.line == ENOCH_SIG


def test_go_note_with_both_keys_known():
    opened = open_note_detailed(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [ENOCH, PETER])
    assert opened.signers == (PETER, ENOCH)
    assert opened.unverified == ()


def test_go_note_without_known_keys_rejected():
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])


def test_go_signature_count_limit():
    assert open_note(TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [PETER]) == TEXT
    for verifiers in ([PETER], []):
        with pytest.raises(VerificationError, match="malformed"):
            open_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), verifiers)


def test_go_corrupted_known_signature_rejects_the_note():
    corrupt = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    message = r"invalid signature for key PeterNeumann\+c74f20a3"
    with pytest.raises(VerificationError, match=message):
        open_note(TEXT + "\n" + corrupt, [PETER])
    # ... even next to a valid signature by the same key
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(TEXT + "\n" + PETER_SIG + corrupt, [PETER])


@pytest.mark.parametrize(
    "msg",
    [  # the malformed-message table of TestOpen, then our own cases
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT + "\n" + f"— Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + f"— Bad Name {PETER_B64}\n",
        TEXT + "\n" + f"- PeterNeumann {PETER_B64}\n",  # hyphen, not em dash
        TEXT + "\n" + f"—PeterNeumann {PETER_B64}\n",
        TEXT + "\n" + "— PeterNeumann\n",
        TEXT + "\n" + "— PeterNeumann \n",
        TEXT + "\n" + f"— PeterNeumann {PETER_B64[:-1]}\n",  # bad padding
        TEXT + "\n" + f"— PeterNeumann {PETER_B64[:-2]}N=\n",  # "M=" with non-zero pad bits
        TEXT + "\n" + "— PeterNeumann AAAAAA==\n",  # 4 bytes: a key ID and no signature
        TEXT + "\n" + f"— Peter+Neumann {PETER_B64}\n",
        TEXT + "\n" + f"— PeterNeumann {PETER_B64}\r\n",
        TEXT.replace("\n", "\r\n") + "\r\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG + "\n",
        TEXT + "\n" + PETER_SIG + "\n" + PETER_SIG + "\n",
        "\ud800" + TEXT + "\n" + PETER_SIG,  # lone surrogate: not UTF-8
        "",
        None,
    ],
)
def test_malformed_notes_rejected(msg):
    with pytest.raises(VerificationError, match="malformed"):
        open_note(msg, [PETER])


@pytest.mark.parametrize("i", range(len(PETER_VKEY)))
def test_go_vkey_manglings_rejected(i):
    # TestNewVerifier: every proper substring starting at i, and incrementing byte i.
    for j in range(i + 1, len(PETER_VKEY) + 1):
        if (i, j) != (0, len(PETER_VKEY)):
            with pytest.raises(ValueError):
                Verifier.from_vkey(PETER_VKEY[i:j])
    with pytest.raises(ValueError):
        Verifier.from_vkey(PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :])


def test_go_vkey_bad_length_and_algorithm_rejected():
    with pytest.raises(ValueError):  # wrong length key, with adjusted key hash
        Verifier.from_vkey(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
    with pytest.raises(ValueError):  # unknown algorithm, with adjusted key hash
        Verifier.from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_go_skey_manglings_rejected():
    n = len(PETER_SKEY)
    for i in range(n):
        for j in range(i + 1, n + 1):
            if (i, j) != (0, n):
                with pytest.raises(ValueError):
                    Signer.from_skey(PETER_SKEY[i:j])
        with pytest.raises(ValueError):
            Signer.from_skey(PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :])


# --- our own behaviour --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keys():
    return [Signer.generate(f"elx.example/{name}") for name in ("log", "witness1", "witness2")]


def test_generated_keys_round_trip(keys):
    log, *_ = keys
    assert Verifier.from_vkey(log.vkey) == log.verifier
    assert Signer.from_skey(log.to_skey()).vkey == log.vkey
    assert "PRIVATE" not in repr(log) and "private_key" not in repr(log)
    sig = log.sign(b"hi")
    assert log.verifier.verify(b"hi", sig)
    assert not log.verifier.verify(b"hI", sig)
    assert not log.verifier.verify(b"hi", sig[:-1])


def test_several_signatures_and_cosigning(keys):
    log, w1, w2 = keys
    signed = sign_note("数据元件 checkpoint\n", log, w1)
    assert open_note_detailed(signed, [w1.verifier]).signers == (w1.verifier,)
    with pytest.raises(TypeError, match="Verifier"):
        open_note(signed, [w1])  # type: ignore[list-item]
    cosigned = cosign_note(signed, w2)
    opened = open_note_detailed(cosigned, [log.verifier, w1.verifier, w2.verifier])
    assert opened.signers == (log.verifier, w1.verifier, w2.verifier)
    assert cosign_note(cosigned, w1).count(f"— {w1.name} ") == 1  # re-cosigning replaces


def test_signature_by_impostor_key_with_known_name_is_ignored(keys):
    log, *_ = keys
    impostor = Signer.generate(log.name)  # same name, different key ID
    note = sign_note("text\n", impostor, log)
    opened = open_note_detailed(note, [log.verifier])
    assert opened.signers == (log.verifier,) and len(opened.unverified) == 1
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(sign_note("text\n", impostor), [log.verifier])


def test_known_key_signature_of_wrong_size_rejected(keys):
    log, *_ = keys
    blob = base64.b64encode(log.key_id + bytes(63)).decode()
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(sign_note("text\n", log) + f"— {log.name} {blob}\n", [log.verifier])


def test_tampering_rejected(keys):
    log, *_ = keys
    note = sign_note("size 10\nroot abc\n", log)
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(note.replace("size 10", "size 11"), [log.verifier])
    text, [sig] = parse_note(note)
    for i in range(len(sig.signature) * 8):
        forged = bytearray(sig.signature)
        forged[i // 8] ^= 1 << (i % 8)
        line = type(sig)(sig.name, sig.key_id, bytes(forged)).line
        with pytest.raises(VerificationError, match="invalid signature"):
            open_note(text + "\n" + line, [log.verifier])


def test_ambiguous_known_keys_rejected(keys, monkeypatch):
    # Two different keys with one name and key ID (a 32-bit collision, forced here).
    monkeypatch.setattr(note_keys_module, "key_id", lambda name, pk: b"\x00\x00\x00\x01")
    a, b = Signer.generate("dup"), Signer.generate("dup")
    with pytest.raises(VerificationError, match="ambiguous"):
        open_note(sign_note("text\n", a), [a.verifier, b.verifier])


def test_text_may_contain_blank_lines_and_unicode_line_breaks(keys):
    log, *_ = keys
    for text in ("a\n\nb\n", "\n", "a\n\n", "line\u0085with NEL\u2028and LS\n", "del\x7f ok\n"):
        assert open_note(sign_note(text, log), [log.verifier]) == text


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\ud800\n", b"x\n"])
def test_sign_note_rejects_bad_text(keys, text):
    with pytest.raises((ValueError, UnicodeError)):
        sign_note(text, keys[0])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u3000b", "a\nb", "a\x01b", 5])
def test_bad_key_names_rejected(name):
    with pytest.raises(ValueError):
        Signer.generate(name)  # type: ignore[arg-type]


def test_verifier_key_must_be_well_formed():
    with pytest.raises(ValueError):
        Verifier("ok", bytes(31))
    with pytest.raises(ValueError):
        Verifier.from_vkey(PETER_VKEY.replace("c74f20a3", "C74F20A4"))
    assert Verifier.from_vkey(PETER_VKEY.replace("c74f20a3", "C74F20A3")) == PETER


@settings(max_examples=50, deadline=None)
@given(
    body=st.text(st.characters(blacklist_categories=["Cs"], min_codepoint=0x20), max_size=80),
    lines=st.integers(1, 4),
    data=st.data(),
)
def test_sign_open_round_trip_and_any_text_change_is_rejected(keys, body, lines, data):
    log, w1, _ = keys
    text = (body + "\n") * lines
    note = sign_note(text, log, w1)
    assert open_note(note, [log.verifier]) == text
    i = data.draw(st.integers(0, len(text) - 1), label="position")
    changed = text[:i] + ("x" if text[i] != "x" else "y") + text[i + 1 :]
    with pytest.raises(VerificationError):
        open_note(changed + note[len(text) :], [log.verifier])
