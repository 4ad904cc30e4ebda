"""Browsing the public ledger (issue 8 §6, the ledger explorer): the newest entries, the entries
about one subject, and the log's current verifier key. Read-only and public like the
``/ledger`` API routes: anyone may look, and trust comes from verifying, not from us.

Entries are stored as their canonical bytes only (:mod:`ledger.entry`), so a subject is found by
its exact canonical fragment ``"subject":"<id>","ts"`` (identifiers never contain ``"`` or
``\\``), and every hit is parsed and its subject compared again.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, String, bindparam, func, select, type_coerce

from ledger.entry import Entry
from ledger.schema import entries
from marketplace.db import db
from marketplace.errors import ValidationFailed
from marketplace.ledger_api.services import public_keys

__all__ = ["current_log_key", "recent_entries", "subject_entries"]

MAX_LISTED = 50
_SUBJECT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}")  # ledger.entry's identifiers


def _entries(stmt: Any) -> list[Entry]:
    try:
        rows = db.session.connection().execute(stmt).all()
    finally:
        db.session.rollback()
    return [Entry.from_bytes(bytes(row.entry)) for row in rows]


def recent_entries(limit: int = 20) -> list[Entry]:
    """The newest ``limit`` entries, newest first."""
    limit = max(1, min(limit, MAX_LISTED))
    return _entries(select(entries.c.entry).order_by(entries.c.idx.desc()).limit(limit))


def _contains(fragment: bytes) -> ColumnElement[bool]:
    """Entries whose canonical bytes contain ``fragment`` (bytes, compared bytewise)."""
    if db.session.connection().dialect.name == "sqlite":
        return func.instr(entries.c.entry, fragment) > 0  # SQLite's LIKE never matches a BLOB
    # bytea LIKE bytea: the column is typed as text only so that SQLAlchemy offers LIKE; "!"
    # escapes, not a backslash, because PostgreSQL reads the escape character as bytea too.
    escaped = fragment.replace(b"!", b"!!").replace(b"%", b"!%").replace(b"_", b"!_")
    return type_coerce(entries.c.entry, String).like(
        bindparam("fragment", b"%" + escaped + b"%", type_=LargeBinary), escape="!")


def subject_entries(subject: str, limit: int = MAX_LISTED) -> list[Entry]:
    """The newest entries (at most ``limit``) whose subject is exactly ``subject``."""
    if not _SUBJECT.fullmatch(subject):
        raise ValidationFailed(errors={"q": [
            "A subject is 1-256 printable ASCII characters without '\"' or '\\'."]})
    fragment = f'"subject":"{subject}","ts"'.encode("ascii")
    stmt = select(entries.c.entry).where(_contains(fragment))
    stmt = stmt.order_by(entries.c.idx.desc()).limit(limit * 4)
    return [e for e in _entries(stmt) if e.subject == subject][:limit]


def current_log_key() -> str | None:
    """The vkey of the log's current signing key (C2SP signed-note), if one is published."""
    for key in public_keys():
        if key["role"] == "log" and key["status"] == "current":
            return str(key["vkey"])
    return None
