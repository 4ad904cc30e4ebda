"""Signed notes with Ed25519 — C2SP signed-note (https://c2sp.org/signed-note).

A note is a text ending in "\\n", a blank line, then one or more lines
``— <key name> base64(key ID(4) ‖ signature)``. The whole note is UTF-8 with no control
characters other than newline. Keys, key IDs and their vkey/skey text forms are
:mod:`ledger.note_keys` (``Signer`` and ``Verifier`` are re-exported here).

Opening a note: signatures from unknown keys are ignored; every signature whose name and key ID
match a known key is verified and any failure rejects the note; at least one must verify.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from ledger import VerificationError
from ledger.note_keys import (
    CONTROL_CHARACTERS,
    Signer,
    Verifier,
    b64decode_canonical,
    check_key_name,
)

__all__ = [
    "MAX_SIGNATURES",
    "NoteSignature",
    "OpenedNote",
    "Signer",
    "Verifier",
    "cosign_note",
    "open_note",
    "open_note_detailed",
    "parse_note",
    "sign_note",
]

MAX_SIGNATURES = 100  # the spec requires accepting at least 16
_SIG_PREFIX = "\u2014 "  # em dash, space


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise ValueError("note text must be a str ending in a newline")
    if CONTROL_CHARACTERS.search(text):
        raise ValueError("note text must not contain control characters other than newline")
    text.encode("utf-8")  # lone surrogates are not valid UTF-8: UnicodeEncodeError
    return text


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
            raw = b64decode_canonical(blob)
            if len(raw) < 5:
                raise ValueError("signature too short")
            sigs.append(NoteSignature(check_key_name(name), raw[:4], raw[4:]))
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
