"""The ledger side of a sandbox query (issue 7 §6): what is recorded when it is answered and
when it fails, and the answer's ε figures.

Every answered query (fresh or cached) appends ``sandbox.query.executed`` (license, element
version, fingerprint, normalised SQL hash, result hash, ε spent, cached) and writes one
``sandbox_query`` usage row in the same transaction. A query that was admitted (ε debited)
but failed appends ``sandbox.query.failed`` with the ε it spent and the kind of failure, so
every ε the budget shows as spent is on the ledger. The caller commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from marketplace.access import budget, gate
from marketplace.access.models import UsageUnit
from marketplace.auth import Principal
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.ledger_api import services as ledger

__all__ = ["EXECUTED", "FAILED", "Ticket", "abandon", "digest", "outcome", "record"]

EXECUTED = "sandbox.query.executed"
FAILED = "sandbox.query.failed"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ticket:
    """Plain values of an admitted query, usable after its admitting transaction ended."""

    agreement_id: str
    org_id: str
    listing_id: str
    version_id: str
    fingerprint: str
    sql_sha256: str
    spent_before: int  # nano-ε spent before this query
    limit: int
    cost: int = 0  # nano-ε this query spent (0: a cached answer)
    answer_id: str = ""  # the reserved answer row ("" for a cached answer)


def digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _payload(t: Ticket) -> dict[str, Any]:
    return {"agreement_id": t.agreement_id, "element_version_id": t.version_id,
            "fingerprint": t.fingerprint, "normalised_sql_sha256": t.sql_sha256,
            "epsilon_spent": budget.epsilon_text(t.cost)}


def record(p: Principal, t: Ticket, result_sha256: str) -> int:
    """The answered query's ledger entry and usage row (no commit); the entry's index."""
    index = ledger.record(EXECUTED, t.agreement_id, p, t.org_id, {
        **_payload(t), "result_sha256": result_sha256, "cached": t.cost == 0})
    gate.meter(t.agreement_id, t.listing_id, UsageUnit.sandbox_query, p)
    return index


def outcome(t: Ticket, result_sha256: str, index: int) -> dict[str, Any]:
    """The answer's metadata and its receipt (read after the commit)."""
    spent = t.spent_before + t.cost
    return {"license_id": t.agreement_id, "element_version_id": t.version_id,
            "cached": t.cost == 0, "result_sha256": result_sha256,
            "epsilon": {"spent": budget.epsilon_text(t.cost),
                        "total_spent": budget.epsilon_text(spent),
                        "remaining": budget.epsilon_text(t.limit - spent),
                        "limit": budget.epsilon_text(t.limit)},
            "ledger_index": index, "receipt": ledger.receipt(index)}


def abandon(p: Principal, t: Ticket, exc: Exception) -> DomainError | None:
    """After a failed run or record step (rolled back): give the slot back, refund the counted
    use, record the spent ε, commit. Returns the problem to raise (``exc`` with
    ``epsilon_spent`` and ``ledger_index``), or None to re-raise ``exc`` (an unexpected error)."""
    reason = exc.slug if isinstance(exc, DomainError) else "internal"
    try:
        budget.unreserve(t.answer_id)
        gate.refund(t.agreement_id)
        index = ledger.record(FAILED, t.agreement_id, p, t.org_id,
                              {**_payload(t), "reason": reason})
        db.session.commit()
    except Exception:  # the reservation is reclaimed later; the ε is spent either way
        db.session.rollback()
        log.exception("could not record the failed sandbox query of %s", t.agreement_id)
        return exc if isinstance(exc, DomainError) else None
    if not isinstance(exc, DomainError):
        return None
    exc.extra.update(epsilon_spent=budget.epsilon_text(t.cost), ledger_index=index)
    return exc
