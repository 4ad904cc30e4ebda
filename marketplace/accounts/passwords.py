"""Password hashing with scrypt (RFC 7914) from ``cryptography``.

Stored form: ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can grow without
invalidating old hashes. Verification is constant-time; an unknown account still pays for one
hash (:func:`burn`), so timing does not reveal which emails exist.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_R, _P, _LEN = 8, 1, 32
_DUMMY_SALT = b"\x00" * 16


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_LEN, n=n, r=r, p=p).derive(password.encode("utf-8"))


def hash_password(password: str, n: int) -> str:
    salt = os.urandom(16)
    digest = _derive(password, salt, n, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${n.bit_length() - 1}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, log_n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        actual = _derive(password, salt, 1 << int(log_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def burn(password: str, n: int) -> None:
    """Spend the same work as a verification, for accounts that do not exist."""
    _derive(password, _DUMMY_SALT, n, _R, _P)
