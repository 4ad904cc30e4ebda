"""Ledger entries: the leaves of the log, as RFC 8785 canonical JSON.

An entry's bytes are the JCS form (see :mod:`ledger.canonical`) of::

    {"actor": {"org": ORG, "user": USER|null}, "index": N, "kind": KIND,
     "payload_sha256": HEX, "prev": HEX, "subject": SUBJECT, "ts": RFC3339, "v": 1}

``payload_sha256`` is SHA-256 of the payload's canonical bytes (the payload is stored beside the
entry); ``prev`` is the RFC 9162 leaf hash of entry N-1 (64 zeros for entry 0), so the log is
also a hash chain whose every link is checked (cf. immudb GHSA-672p-m5jq-mrh8); ``ts`` is
RFC 3339 UTC with microseconds. Identifier fields are printable ASCII without ``"`` or ``\\``,
so the canonical form is a fixed template and :meth:`Entry.from_bytes` parses strictly with one
regular expression (anything that is not byte-for-byte canonical is refused).

The template's members are separated by ``,"``: :data:`ENTRY_RE` is exactly the member
patterns :data:`PIECE_RES` joined by :data:`PIECE_SEP`, which lets :mod:`ledger.scan` check an
entry piece by piece (and cache pieces it has seen) with the very same grammar. (A value may
end with a comma, which makes one more ``,"``: splitting then yields more than nine pieces.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ledger.canonical import MAX_SAFE_INT, dumps_canonical

__all__ = [
    "ENTRY_RE",
    "FORMAT_VERSION",
    "GENESIS_PREV",
    "PIECE_RES",
    "PIECE_SEP",
    "Entry",
    "EntryDraft",
    "format_timestamp",
]

FORMAT_VERSION = 1
GENESIS_PREV = "0" * 64
_IDENT = r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}"
_KIND = r"[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63}){0,7}"
_TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
_HEX = r"[0-9a-f]{64}"
_IDENT_RE = re.compile(_IDENT)
_KIND_RE = re.compile(_KIND)
_HEX_RE = re.compile(_HEX)
# The canonical entry's members, in order, separated by ',"'.
_PIECES = (
    rf'\{{"actor":\{{"org":"(?P<org>{_IDENT})"',
    rf'user":(?:"(?P<user>{_IDENT})"|null)\}}',
    r'index":(?P<index>0|[1-9][0-9]{0,15})',
    rf'kind":"(?P<kind>{_KIND})"',
    rf'payload_sha256":"(?P<payload_sha256>{_HEX})"',
    rf'prev":"(?P<prev>{_HEX})"',
    rf'subject":"(?P<subject>{_IDENT})"',
    rf'ts":"(?P<ts>{_TS})"',
    r'v":1\}',
)
PIECE_SEP = b',"'
PIECE_RES = tuple(re.compile(piece.encode("ascii")) for piece in _PIECES)
# The whole canonical entry; groups: org, user, index, kind, payload_sha256, prev, subject, ts.
ENTRY_RE = re.compile(PIECE_SEP.join(piece.encode("ascii") for piece in _PIECES))
_TEMPLATE = (
    '{{"actor":{{"org":"{}","user":{}}},"index":{},"kind":"{}","payload_sha256":"{}",'
    '"prev":"{}","subject":"{}","ts":"{}","v":1}}'
)


@lru_cache(maxsize=256)  # a batch shares one timestamp; formatting dominated appends
def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with exactly six fractional digits and a ``Z`` (aware datetimes only)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True)
class EntryDraft:
    """What a caller asks to record; the store assigns index, prev and (if absent) the time."""

    kind: str
    subject: str
    actor_org: str
    actor_user: str | None
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False)
    timestamp: datetime | None = None

    def payload_bytes(self) -> bytes:
        """The canonical (RFC 8785) bytes of the payload object."""
        if not isinstance(self.payload, Mapping):
            raise ValueError("payload must be a JSON object")
        return dumps_canonical(dict(self.payload))


def _ident(value: object, what: str) -> None:
    if not isinstance(value, str) or not _IDENT_RE.fullmatch(value):
        raise ValueError(f"{what} must be 1-256 printable ASCII characters without '\"' or '\\'")


@dataclass(frozen=True)
class Entry:
    """One log entry (format version 1); construction validates every field."""

    index: int
    kind: str
    subject: str
    actor_org: str
    actor_user: str | None
    timestamp: datetime
    payload_sha256: str
    prev: str
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.version != FORMAT_VERSION:
            raise ValueError(f"unsupported entry format version {self.version!r}")
        index = self.index
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_SAFE_INT:
            raise ValueError(f"index must be an int in 0..2**53-1, got {index!r}")
        if not isinstance(self.kind, str) or not _KIND_RE.fullmatch(self.kind):
            raise ValueError(f"kind must look like 'asset.version.registered', got {self.kind!r}")
        _ident(self.subject, "subject")
        _ident(self.actor_org, "actor org")
        if self.actor_user is not None:
            _ident(self.actor_user, "actor user")
        format_timestamp(self.timestamp)
        for name in ("payload_sha256", "prev"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _HEX_RE.fullmatch(value):
                raise ValueError(f"{name} must be 64 lowercase hex digits")

    @classmethod
    def from_draft(
        cls, draft: EntryDraft, index: int, prev: str, now: datetime
    ) -> tuple[Entry, bytes]:
        """Build entry ``index`` after ``prev``; returns the entry and its payload bytes."""
        payload = draft.payload_bytes()
        entry = cls(
            index=index,
            kind=draft.kind,
            subject=draft.subject,
            actor_org=draft.actor_org,
            actor_user=draft.actor_user,
            timestamp=draft.timestamp if draft.timestamp is not None else now,
            payload_sha256=hashlib.sha256(payload).hexdigest(),
            prev=prev,
        )
        return entry, payload

    def to_bytes(self) -> bytes:
        """The canonical bytes of this entry — the Merkle leaf data."""
        user = "null" if self.actor_user is None else f'"{self.actor_user}"'
        return _TEMPLATE.format(
            self.actor_org, user, self.index, self.kind, self.payload_sha256, self.prev,
            self.subject, format_timestamp(self.timestamp),
        ).encode("ascii")

    def to_json(self) -> dict[str, Any]:
        """The entry as the JSON object its bytes encode."""
        return {
            "actor": {"org": self.actor_org, "user": self.actor_user},
            "index": self.index,
            "kind": self.kind,
            "payload_sha256": self.payload_sha256,
            "prev": self.prev,
            "subject": self.subject,
            "ts": format_timestamp(self.timestamp),
            "v": self.version,
        }

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Parse canonical entry bytes; ValueError for anything else (strict, no leeway)."""
        match = ENTRY_RE.fullmatch(data) if isinstance(data, bytes) else None
        if match is None:
            raise ValueError("not a canonical version-1 ledger entry")
        org, user, index, kind, digest, prev, subject, ts = (
            g.decode("ascii") if g is not None else None for g in match.groups()
        )
        try:
            moment = datetime.fromisoformat(ts)
        except ValueError as exc:
            raise ValueError(f"invalid timestamp {ts!r}") from exc
        entry = cls(int(index), kind, subject, org, user, moment, digest, prev)
        if format_timestamp(moment) != ts:
            raise ValueError(f"timestamp {ts!r} is not canonical")
        return entry
