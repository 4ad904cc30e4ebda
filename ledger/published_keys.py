"""The published key table: the C2SP signed-note verifier keys (vkeys) of a log and its
witnesses, each "current" or "retired" — written by the store, read back by the verifier.

Rotation (see :mod:`ledger.keys`): a key no longer configured is kept and marked retired, so
checkpoints it signed keep verifying; the verifier accepts signatures only from keys published
here. ``wanted`` maps each configured vkey to its (role, status): role "log" or "witness".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.note_keys import Verifier
from ledger.schema import keys, stored_time
from ledger.walker import LogError

__all__ = [
    "PublishedKey",
    "list_published_keys",
    "parse_published",
    "read_published",
    "sync_published_keys",
]


@dataclass(frozen=True)
class PublishedKey:
    """A verifier key as the log publishes it (``role`` "log" or "witness")."""

    verifier: Verifier
    role: str


def parse_published(rows: Iterable[tuple[str, str]]) -> list[PublishedKey]:
    """Published (vkey, role) pairs as verifier keys; a malformed one is a :class:`LogError`.

    A published key must be in its canonical spelling (lowercase hex key ID): the verifier
    accepts either case, but a stored key whose text changed is tampering all the same.
    """
    out = []
    for vkey, role in rows:
        try:
            verifier = Verifier.from_vkey(vkey)
        except ValueError as exc:
            raise LogError(None, f"published key {vkey!r:.80}: {exc}") from None
        if verifier.vkey != vkey:
            raise LogError(None, f"published key {vkey!r:.80} is not in canonical form")
        out.append(PublishedKey(verifier, role))
    return out


def read_published(conn: Connection) -> list[PublishedKey]:
    """Every key in the table, parsed (:func:`parse_published`)."""
    return parse_published(conn.execute(select(keys.c.vkey, keys.c.role)))


def sync_published_keys(
    conn: Connection, wanted: Mapping[str, tuple[str, str]], now: datetime
) -> None:
    """Publish the configured keys; a log or witness key no longer configured is retired."""
    wanted = dict(wanted)
    rows = conn.execute(select(keys.c.vkey, keys.c.role, keys.c.status))
    stored = {r.vkey: (r.role, r.status) for r in rows}
    for vkey, (_role, status) in stored.items():
        if vkey not in wanted and status == "current":
            wanted[vkey] = (_role, "retired")
    for vkey, (role, status) in (wanted or {}).items():
        retired_at = now if status == "retired" else None
        if vkey not in stored:
            conn.execute(
                keys.insert().values(
                    vkey=vkey, role=role, status=status, created_at=now, retired_at=retired_at
                )
            )
        elif stored[vkey] != (role, status):
            change = {"role": role, "status": status, "retired_at": retired_at}
            conn.execute(keys.update().where(keys.c.vkey == vkey).values(**change))


def list_published_keys(
    conn: Connection, wanted: Mapping[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Published verifier keys (current and retired, log and witness), oldest first, as
    {vkey, role, status, created_at, retired_at}; then those of ``wanted`` not stored yet
    (nothing appended so far) with null dates."""
    rows = conn.execute(select(keys).order_by(keys.c.created_at, keys.c.vkey)).all()
    out = [
        {
            "vkey": r.vkey,
            "role": r.role,
            "status": r.status,
            "created_at": stored_time(r.created_at),
            "retired_at": stored_time(r.retired_at),
        }
        for r in rows
    ]
    stored = {r.vkey for r in rows}
    for vkey, (role, status) in (wanted or {}).items():
        if vkey not in stored:
            dates = {"created_at": None, "retired_at": None}
            out.append({"vkey": vkey, "role": role, "status": status, **dates})
    return out
