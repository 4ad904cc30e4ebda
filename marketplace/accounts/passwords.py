"""Password hashing with scrypt (RFC 7914) from ``cryptography``, and the password policy.

Stored form: ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can grow without
invalidating old hashes. Verification is constant-time and never raises; an unknown account
still pays for one hash (:func:`burn`), so timing does not reveal which emails exist.

The policy follows NIST SP 800-63B §5.1.1.2: a minimum length (enforced by the schema), a
generous maximum, no composition rules, but refuse passwords that are commonly used, repetitive,
or built from the account's own email address.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_R, _P, _LEN = 8, 1, 32
_DUMMY_SALT = b"\x00" * 16
_MAX_LOG_N, _MAX_R, _MAX_P = 24, 32, 16  # a corrupted row must not allocate gigabytes

#: Passwords of ten or more characters that head every published leaked-password ranking.
#: Illustrative, not exhaustive: a deployment should also consult a breached-password corpus.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "0987654321", "12345678910", "123456789a", "a123456789",
    "1234567890a", "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc", "zaq12wsxcde3", "password12",
    "password123", "password1234", "passw0rd123", "iloveyou12", "qwerty1234", "qwerty12345",
    "qwerty123456", "abcdefghij", "abcd123456", "administrator", "woaini1314", "5201314520",
    "letmein123", "welcome123", "changeme123",
})


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_LEN, n=n, r=r, p=p).derive(password.encode("utf-8"))


def hash_password(password: str, n: int) -> str:
    """A fresh random 16-byte salt and scrypt(N=n, r=8, p=1) in the stored form above.

    NUL is refused: scrypt's PBKDF2-HMAC zero-pads its key, so "pw" and "pw\\0" would hash
    alike (the API's text fields already reject control characters).
    """
    if n < 2 or n & (n - 1):
        raise ValueError("scrypt N must be a power of two greater than 1")
    if "\0" in password:
        raise ValueError("passwords cannot contain NUL")
    salt = os.urandom(16)
    digest = _derive(password, salt, n, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${n.bit_length() - 1}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed stored value."""
    if "\0" in password:
        return False
    try:
        scheme, log_n, r, p, salt_b64, digest_b64 = stored.split("$")
        cost, block, par = int(log_n), int(r), int(p)
        if scheme != "scrypt" or not (1 <= cost <= _MAX_LOG_N and 1 <= block <= _MAX_R
                                      and 1 <= par <= _MAX_P):
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        actual = _derive(password, salt, 1 << cost, block, par)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def burn(password: str, n: int) -> None:
    """Spend the same work as a verification, for accounts that do not exist."""
    _derive(password, _DUMMY_SALT, n, _R, _P)


def weakness(password: str, email: str = "") -> str | None:
    """Why ``password`` is too weak to accept, or None (length is the schema's job)."""
    folded = password.casefold()
    if folded.strip() in COMMON_PASSWORDS:
        return "This password is too common."
    if len(set(folded)) < 4:
        return "This password is too repetitive."
    local = email.casefold().partition("@")[0]
    if len(local) >= 4 and local in folded:
        return "The password must not contain the email address."
    return None
