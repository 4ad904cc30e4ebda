"""Ed25519 signed-note keys — C2SP signed-note (https://c2sp.org/signed-note), §Keys.

Key names are non-empty, without Unicode spaces, control characters or "+". Ed25519 key ID =
SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Verifier keys are written
``<name>+<hex key ID>+base64(0x01 ‖ public key)`` and signer keys
``PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 ‖ seed)`` (as golang.org/x/mod/sumdb/note).
Signing and opening notes is :mod:`ledger.note`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ALG_ED25519",
    "CONTROL_CHARACTERS",
    "Signer",
    "Verifier",
    "b64decode_canonical",
    "check_key_name",
    "key_id",
]

ALG_ED25519 = 0x01
# Signed notes allow no control characters other than newline, in names or text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


def b64decode_canonical(text: str) -> bytes:
    """Strict, canonical standard base64 (RFC 4648 §4); ValueError otherwise."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64: {text!r:.60}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"non-canonical base64: {text!r:.60}")
    return raw


def check_key_name(name: object) -> str:
    """``name`` if it is a valid key name (see the module docstring); ValueError otherwise."""
    if not isinstance(name, str) or not name or "+" in name:
        raise ValueError(f"invalid key name {name!r}")
    if any(ch.isspace() for ch in name) or CONTROL_CHARACTERS.search(name) or "\x7f" in name:
        raise ValueError(f"invalid key name {name!r}")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte Ed25519 key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier key; ``key_id`` is 4 bytes."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``name+hexid+base64(0x01 ‖ pk)``; ValueError if malformed or the ID is wrong."""
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise ValueError(f"malformed verifier key {vkey!r:.80}")
        raw = b64decode_canonical(parts[2])
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise ValueError("verifier key is not a 0x01 ‖ 32-byte Ed25519 public key")
        verifier = cls(check_key_name(parts[0]), raw[1:])
        if verifier.key_id != bytes.fromhex(parts[1]):
            raise ValueError(f"verifier key ID {parts[1]} does not match the key")
        return verifier

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """True iff ``sig`` is a valid Ed25519 signature of ``msg`` (RFC 8032)."""
        if not isinstance(sig, bytes) or len(sig) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, msg)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer: a key name and a private key (never shown in repr)."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise TypeError("private_key must be an Ed25519PrivateKey")

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)`` (sumdb/note signer key)."""
        parts = skey.split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX_ID.fullmatch(parts[3]):
            raise ValueError("malformed signer key")
        raw = b64decode_canonical(parts[4])
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise ValueError("signer key is not a 0x01 ‖ 32-byte Ed25519 seed")
        signer = cls(check_key_name(parts[2]), Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id != bytes.fromhex(parts[3]):
            raise ValueError("signer key ID does not match the key")
        return signer

    def to_skey(self) -> str:
        """The secret ``PRIVATE+KEY+…`` string; keep it out of logs."""
        seed = base64.b64encode(bytes([ALG_ED25519]) + self.private_key.private_bytes_raw())
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{seed.decode('ascii')}"

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.private_key.public_key().public_bytes_raw())

    @property
    def key_id(self) -> bytes:
        return self.verifier.key_id

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def sign(self, msg: bytes) -> bytes:
        return self.private_key.sign(msg)
