"""The service's view of the ledger: one :class:`ledger.store.LedgerStore`, appends inside the
caller's transaction, and read access for the public ``/ledger`` routes.

Every rights-relevant event is appended in the same database transaction as the change it
records, so a failed request leaves neither the change nor its entry (DESIGN.md "How a request
flows").
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from ledger.entry import EntryDraft
from ledger.export import write_export
from ledger.keys import load_or_create_signer, load_signer
from ledger.store import LedgerStore
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import NotFound, ValidationFailed


def init_ledger(app: Flask) -> None:
    cfg = app.config
    key_file = cfg["LEDGER_KEY_FILE"] or str(Path(cfg["VAR_DIR"]) / "ledger-key.pem")
    signer = load_or_create_signer(Path(key_file), cfg["LEDGER_KEY_NAME"])
    cosigners = ()
    if cfg["LEDGER_WITNESS_KEY_FILE"]:
        cosigners = (load_signer(Path(cfg["LEDGER_WITNESS_KEY_FILE"])),)
    retired = tuple(v.strip() for v in cfg["LEDGER_RETIRED_VKEYS"].split(",") if v.strip())
    app.extensions["elx.ledger"] = LedgerStore(
        origin=cfg["LEDGER_ORIGIN"], signer=signer, cosigners=cosigners, retired_vkeys=retired,
        clock=utcnow)


def store() -> LedgerStore:
    return current_app.extensions["elx.ledger"]


def record(kind: str, subject: str, principal: Principal, org_id: str,
           payload: dict[str, Any]) -> int:
    """Append one entry in the current transaction; returns its index. No commit."""
    draft = EntryDraft(kind=kind, subject=subject, actor_org=org_id,
                       actor_user=principal.user_id, payload=payload, timestamp=utcnow())
    entry = store().append(db.session.connection(), draft)
    return entry.index


def _read(fn: Any, *args: Any) -> Any:
    try:
        return fn(db.session.connection(), *args)
    finally:
        db.session.rollback()


def checkpoint() -> str:
    """The newest signed checkpoint (a signed size-0 checkpoint while the log is empty)."""
    return _read(store().latest_checkpoint)


def size() -> int:
    return _read(store().size)


def entry(index: int) -> tuple[Any, bytes]:
    n = size()
    if not 0 <= index < n:
        raise NotFound(f"No entry {index}; the ledger holds {n}.")
    return _read(store().entry, index)


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    n = size()
    if not 0 < tree_size <= n or not 0 <= index < tree_size:
        raise ValidationFailed(errors={"index": [f"Need 0 <= index < tree_size <= {n}."]})
    return _read(store().inclusion_proof, index, tree_size)


def consistency_proof(first: int, second: int) -> list[bytes]:
    n = size()
    if not 0 < first <= second <= n:
        raise ValidationFailed(errors={"first": [f"Need 0 < first <= second <= {n}."]})
    return _read(store().consistency_proof, first, second)


def receipt(index: int) -> dict[str, Any]:
    entry(index)
    return _read(store().receipt, index)


def public_keys() -> list[dict[str, Any]]:
    return _read(store().public_keys)


def export_lines() -> Iterator[bytes]:
    """The whole log as JSON Lines (the format ``python -m ledger verify`` reads).

    Written from one read transaction (a consistent snapshot) into a spooled temporary file,
    then streamed, so a large log neither sits in memory nor holds the connection while a slow
    client reads.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b")  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="\n")
    with db.engine.connect() as connection:
        write_export(connection, text)
    db.session.rollback()
    text.flush()
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with text:
            while block := spool.read(1 << 16):
                yield block

    return chunks()
