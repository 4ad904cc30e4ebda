"""Signed notes with Ed25519 — C2SP signed-note (https://c2sp.org/signed-note).

A note is a text ending in "\\n", a blank line, then one or more lines
``— <key name> base64(key ID(4) ‖ signature)``. The whole note is UTF-8 with no control
characters other than newline. Key names are non-empty, without Unicode spaces or "+".
Ed25519 key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. Verifier keys are written
``<name>+<hex key ID>+base64(0x01 ‖ public key)`` and signer keys
``PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 ‖ seed)`` (as golang.org/x/mod/sumdb/note).

Opening a note: signatures from unknown keys are ignored; every signature whose name and key ID
match a known key is verified and any failure rejects the note; at least one must verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import VerificationError

__all__ = [
    "MAX_SIGNATURES",
    "NoteSignature",
    "OpenedNote",
    "Signer",
    "Verifier",
    "cosign_note",
    "key_id",
    "open_note",
    "open_note_detailed",
    "parse_note",
    "sign_note",
]

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100  # the spec requires accepting at least 16
_SIG_PREFIX = "\u2014 "  # em dash, space
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


def _b64decode(text: str) -> bytes:
    """Strict, canonical standard base64 (RFC 4648 §4); ValueError otherwise."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64: {text!r:.60}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"non-canonical base64: {text!r:.60}")
    return raw


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name or "+" in name:
        raise ValueError(f"invalid key name {name!r}")
    if any(ch.isspace() for ch in name) or _CONTROL.search(name) or "\x7f" in name:
        raise ValueError(f"invalid key name {name!r}")
    return name


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise ValueError("note text must be a str ending in a newline")
    if _CONTROL.search(text):
        raise ValueError("note text must not contain control characters other than newline")
    text.encode("utf-8")  # lone surrogates are not valid UTF-8: UnicodeEncodeError
    return text


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
        _check_name(self.name)
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
        raw = _b64decode(parts[2])
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise ValueError("verifier key is not a 0x01 ‖ 32-byte Ed25519 public key")
        verifier = cls(_check_name(parts[0]), raw[1:])
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
        _check_name(self.name)
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
        raw = _b64decode(parts[4])
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise ValueError("signer key is not a 0x01 ‖ 32-byte Ed25519 seed")
        signer = cls(_check_name(parts[2]), Ed25519PrivateKey.from_private_bytes(raw[1:]))
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


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after the ID."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIG_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class OpenedNote:
    """A verified note: its text, the known keys that signed it, the other signatures."""

    text: str
    signers: tuple[Verifier, ...]
    unverified: tuple[NoteSignature, ...]


def parse_note(note: str | bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a note into text and signature lines, unverified; VerificationError if malformed."""
    try:
        if isinstance(note, bytes):
            note = note.decode("utf-8")
        _check_text(note)
    except (ValueError, UnicodeError) as exc:
        raise VerificationError(f"malformed note: {exc}") from exc
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed note: no blank line before the signatures")
    text, lines = note[: split + 1], note[split + 2 :].split("\n")[:-1]
    if not lines:
        raise VerificationError("malformed note: no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        name, _, blob = line.removeprefix(_SIG_PREFIX).partition(" ")
        try:
            if not line.startswith(_SIG_PREFIX):
                raise ValueError("not a signature line")
            raw = _b64decode(blob)
            if len(raw) < 5:
                raise ValueError("signature too short")
            sigs.append(NoteSignature(_check_name(name), raw[:4], raw[4:]))
        except ValueError as exc:
            raise VerificationError(f"malformed note: signature line {line!r:.60}: {exc}") from exc
    return text, tuple(sigs)


def open_note_detailed(note: str | bytes, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Verify a note against known keys (C2SP signed-note §Signatures); see module doc."""
    text, sigs = parse_note(note)
    known: dict[tuple[str, bytes], set[Verifier]] = {}
    for v in verifiers:
        if not isinstance(v, Verifier):
            raise TypeError(f"verifiers must be Verifier objects, not {type(v).__name__}")
        known.setdefault((v.name, v.key_id), set()).add(v)
    signers: list[Verifier] = []
    unverified: list[NoteSignature] = []
    msg = text.encode("utf-8")
    for sig in sigs:
        candidates = known.get((sig.name, sig.key_id))
        if candidates is None:
            unverified.append(sig)
            continue
        label = f"{sig.name}+{sig.key_id.hex()}"
        if len(candidates) > 1:
            raise VerificationError(f"ambiguous key {label}: several verifiers share it")
        (verifier,) = candidates
        if not verifier.verify(msg, sig.signature):
            raise VerificationError(f"invalid signature for key {label}")
        if verifier not in signers:
            signers.append(verifier)
    if not signers:
        raise VerificationError("note has no signature from a known key")
    return OpenedNote(text, tuple(signers), tuple(unverified))


def open_note(note_text: str | bytes, verifiers: Iterable[Verifier]) -> str:
    """Verify a signed note and return its text; raises VerificationError."""
    return open_note_detailed(note_text, verifiers).text


def _signature(text: str, signer: Signer) -> NoteSignature:
    return NoteSignature(signer.name, signer.key_id, signer.sign(text.encode("utf-8")))


def sign_note(text: str, signer: Signer, *cosigners: Signer) -> str:
    """Sign ``text`` (non-empty, ending in newline) with one or more keys; ValueError if bad."""
    _check_text(text)
    if 1 + len(cosigners) > MAX_SIGNATURES:
        raise ValueError(f"a note carries at most {MAX_SIGNATURES} signatures")
    sigs = [_signature(text, s) for s in (signer, *cosigners)]
    return text + "\n" + "".join(s.line for s in sigs)


def cosign_note(note: str, signer: Signer) -> str:
    """Add ``signer``'s signature to a signed note, replacing an earlier one by the same key.

    The existing signatures are not verified here: open the note first when that matters.
    """
    text, sigs = parse_note(note)
    mine = _signature(text, signer)
    kept = [s for s in sigs if (s.name, s.key_id) != (mine.name, mine.key_id)]
    if len(kept) >= MAX_SIGNATURES:
        raise ValueError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(s.line for s in (*kept, mine))
