"""Log checkpoints — C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint).

The note text is: the origin line (non-empty), the tree size in ASCII decimal without leading
zeros, the standard base64 of the 32-byte RFC 9162 root hash, then optional non-empty extension
lines; every line ends in "\\n". The text is carried as a C2SP signed note (:mod:`ledger.note`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ledger import VerificationError
from ledger.merkle import HASH_SIZE
from ledger.note import open_note, sign_note
from ledger.note_keys import Signer, Verifier

__all__ = ["MAX_TREE_SIZE", "Checkpoint", "open_checkpoint", "sign_checkpoint"]

MAX_TREE_SIZE = 2**64 - 1
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x1f]")


def _check_line(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or _CONTROL.search(value):
        raise ValueError(f"{what} must be a non-empty line without control characters")
    value.encode("utf-8")  # rejects lone surrogates
    return value


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash and opaque extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValueError("tree size must be an int")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValueError(f"tree size {self.size} out of range 0..2^64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise ValueError("extensions must be a tuple of lines")
        for line in self.extensions:
            _check_line(line, "extension line")

    def to_text(self) -> str:
        """The checkpoint note text (ends in a newline)."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = (self.origin, str(self.size), root, *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Strictly parse a checkpoint note text; ValueError if it is not canonical."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise ValueError("checkpoint text must be a str ending in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise ValueError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise ValueError(f"tree size {size!r:.30} is not canonical decimal")
        try:
            raw = base64.b64decode(root, validate=True)
        except ValueError as exc:
            raise ValueError("root hash is not valid base64") from exc
        if base64.b64encode(raw).decode("ascii") != root:
            raise ValueError("root hash is not canonical base64")
        return cls(origin, int(size), raw, tuple(extensions))  # __post_init__ checks the lines


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer, *cosigners: Signer) -> str:
    """Sign a checkpoint as a note; the log's key name SHOULD equal the origin."""
    return sign_note(checkpoint.to_text(), signer, *cosigners)


def open_checkpoint(
    note_text: str | bytes, verifiers: Iterable[Verifier], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and parse it; checks the origin when given.

    Any one known valid signature suffices: pass only the log's own key(s) here, and check
    witness cosignatures separately with :func:`ledger.note.open_note_detailed`.
    """
    text = open_note(note_text, verifiers)
    try:
        checkpoint = Checkpoint.parse(text)
    except ValueError as exc:
        raise VerificationError(f"malformed checkpoint: {exc}") from exc
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"checkpoint origin {checkpoint.origin!r} != {origin!r}")
    return checkpoint
