"""scrypt password hashing and the password policy (marketplace/accounts/passwords.py)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.accounts import passwords
from marketplace.accounts.passwords import hash_password, verify_password, weakness

# RFC 7914 §12, second test vector: scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64).
# We store 32-byte digests; scrypt ends in PBKDF2-HMAC-SHA256, whose first 32 output bytes do
# not depend on dkLen, so the first half of the published vector is the 32-byte answer.
RFC7914_V2 = bytes.fromhex(
    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
    "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
)
# RFC 7914 §12, first test vector: scrypt(P="", S="", N=16, r=1, p=1, dkLen=64).
RFC7914_V1 = bytes.fromhex(
    "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
    "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
)

FAST_N = 2**4
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\0"),
                max_size=64)


def stored(log_n: int, r: int, p: int, salt: bytes, digest: bytes) -> str:
    b64 = base64.b64encode
    return f"scrypt${log_n}${r}${p}${b64(salt).decode()}${b64(digest[:32]).decode()}"


def test_rfc7914_vector_2_verifies_through_the_stored_format() -> None:
    row = stored(10, 8, 16, b"NaCl", RFC7914_V2)
    assert verify_password("password", row)
    assert not verify_password("Password", row)
    assert not verify_password("password", stored(10, 8, 15, b"NaCl", RFC7914_V2))


def test_rfc7914_vector_1_empty_password_and_salt() -> None:
    assert verify_password("", stored(4, 1, 1, b"", RFC7914_V1))
    assert not verify_password(" ", stored(4, 1, 1, b"", RFC7914_V1))


def test_hash_format_records_parameters_and_a_fresh_salt() -> None:
    first = hash_password("correct horse battery staple", 2**10)
    second = hash_password("correct horse battery staple", 2**10)
    assert first != second  # different salts
    for value in (first, second):
        scheme, log_n, r, p, salt, digest = value.split("$")
        assert (scheme, log_n, r, p) == ("scrypt", "10", "8", "1")
        assert len(base64.b64decode(salt)) == 16
        assert len(base64.b64decode(digest)) == 32
        assert "correct horse" not in value
        assert verify_password("correct horse battery staple", value)


@pytest.mark.parametrize("n", [0, 1, 3, 1000, 2**10 + 2])
def test_hash_rejects_a_cost_that_is_not_a_power_of_two(n: int) -> None:
    with pytest.raises(ValueError):
        hash_password("correct horse battery staple", n)


@settings(max_examples=40, deadline=None)
@given(password=texts, other=texts)
def test_roundtrip_and_only_the_same_password_verifies(password: str, other: str) -> None:
    row = hash_password(password, FAST_N)
    assert verify_password(password, row)
    assert verify_password(other, row) is (other == password)


VALID = stored(4, 1, 1, b"", RFC7914_V1)


@pytest.mark.parametrize("row", [
    "", "scrypt", "plaintext-password", VALID.replace("scrypt", "bcrypt"),
    VALID + "$extra", "scrypt$x$1$1$$" + VALID.split("$")[-1],
    VALID.replace("scrypt$4$", "scrypt$0$"), VALID.replace("scrypt$4$", "scrypt$-1$"),
    VALID.replace("scrypt$4$", "scrypt$64$"),  # would need 2**64 * 128 bytes of memory
    VALID.replace("$1$1$", "$0$1$"), VALID.replace("$1$1$", "$1$100000$"),
    VALID.rsplit("$", 1)[0] + "$not*base64", VALID.rsplit("$", 1)[0] + "$",
])
def test_malformed_stored_values_never_verify_and_never_raise(row: str) -> None:
    assert verify_password("", row) is False


@settings(max_examples=60, deadline=None)
@given(row=st.text(max_size=80), password=texts)
def test_verify_is_total(row: str, password: str) -> None:
    assert verify_password(password, row) in (True, False)


def test_burn_does_the_same_derivation_work(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int, int]] = []
    real = passwords._derive

    def spy(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append((n, r, p))
        return real(password, salt, n, r, p)

    monkeypatch.setattr(passwords, "_derive", spy)
    row = hash_password("correct horse battery staple", FAST_N)
    calls.clear()
    verify_password("wrong horse battery staple", row)
    passwords.burn("wrong horse battery staple", FAST_N)
    assert calls == [(FAST_N, 8, 1), (FAST_N, 8, 1)]


@pytest.mark.parametrize(("password", "email"), [
    ("qwertyuiop", "a@example.org"),
    ("QwertyUIOP", "a@example.org"),  # case does not make a common password strong
    ("1234567890", "a@example.org"),
    ("woaini1314", "a@example.org"),
    ("aaaaaaaaaaaa", "a@example.org"),
    ("abababababab", "a@example.org"),
    ("abcabcabcabc", "a@example.org"),
    ("alice.smith-2026!", "Alice.Smith@example.org"),
])
def test_weak_passwords_are_named(password: str, email: str) -> None:
    assert weakness(password, email)


@pytest.mark.parametrize(("password", "email"), [
    ("correct horse battery staple", "alice@example.org"),
    ("elx-demo-password", "operator@deyang.example"),
    ("bob-loves-pierogi", "bob@example.org"),  # a 3-letter local part is too short to matter
    ("数据要素可用不可见", "buyer@example.org"),
])
def test_reasonable_passwords_pass(password: str, email: str) -> None:
    assert weakness(password, email) is None


def test_nul_is_refused_because_hmac_zero_padding_would_equate_pw_and_pw_nul() -> None:
    """RFC 2104 pads the key with zeros: without this rule "" and "\\0" would verify alike."""
    row = hash_password("a long passphrase", FAST_N)
    with pytest.raises(ValueError):
        hash_password("a long passphrase\0", FAST_N)
    assert not verify_password("a long passphrase\0", row)
    assert verify_password("a long passphrase", row)
