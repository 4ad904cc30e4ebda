"""``POST /licenses/{id}/queries`` — a sandbox query end to end (issue 7 §2–6), in three steps
so that no database transaction (on SQLite: no write lock) is open while the query runs.

1. *Admit*, one short transaction: authorise the caller → ``decide(query)`` (402 quota, 403
   otherwise) → ``sandbox.vet`` (422 naming the rule; nothing of the query is echoed) → count
   the use (row lock + compare-and-set, :mod:`.gate`) → lock the budget row → a finished
   cached answer is served at once (:mod:`.receipts`); else debit ε (402) and reserve the cache
   slot with a pending answer (:mod:`.budget`) → commit.
2. *Run* the plan in the app's worker pool and ``apply_privacy``, with no transaction open.
3. *Record*, one short transaction: fill the reserved answer → ``sandbox.query.executed`` →
   usage row → commit → the entry's receipt.

A run that fails (504 timeout, 503 engine failure, 409 policy no longer satisfiable), or a
record step that fails, is abandoned in its own transaction: the reservation is dropped and the
counted use refunded (no answer was delivered: no usage row, nothing billed), but **the ε stays
spent** and ``sandbox.query.failed`` records it. The query did run on the private data, and
whether and when it fails can depend on that data; refunding would make such probes free
(conservative). The problem document carries ``epsilon_spent`` and that entry's index.

An identical query arriving while one runs gets 409: the pending row holds the cache slot, and
two noisy answers to one query would let a buyer average the noise away. A reservation left by
a crashed process is reclaimed after the runner's timeout plus :data:`RECLAIM_GRACE_S`.

A cached repeat (the same normalised query on the same license) spends **no ε**: it releases
nothing new, so averaging gains nothing. It **is** a metered use: the buyer received an
answer, so it counts against the license's quota, writes a ``sandbox_query`` usage row (billed
per the plan) and appends its own ``sandbox.query.executed`` entry with ``cached: true``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from typing import Any

from flask import current_app

from contracts import Action
from marketplace.access import budget, gate
from marketplace.access.models import SandboxAnswer
from marketplace.access.policy import Effective, require_policy
from marketplace.access.receipts import EXECUTED, FAILED, Ticket, abandon, digest, outcome, record
from marketplace.access.runner import execute
from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import ElementVersion
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.orders.models import Agreement
from sandbox import (
    PrivateResult,
    Rejected,
    VettedQuery,
    plan,
    present,
    release_from_dict,
    release_to_dict,
    vet,
)

__all__ = ["EXECUTED", "FAILED", "RECLAIM_GRACE_S", "run_query"]

#: Seconds past the runner timeout after which a pending answer counts as abandoned.
RECLAIM_GRACE_S = 120.0


def _prepare(principal: Principal | None, license_id: str, sql: str, purpose: str | None
             ) -> tuple[Principal, Agreement, ElementVersion, Effective, VettedQuery]:
    p = authorize(principal, "license.list")
    agreement = get_by_id(Agreement, license_id)
    if agreement is None:
        raise NotFound("No such license.")
    authorize(p, "license.read", agreement)
    authorize(p, "sandbox.query", agreement)
    version = db.session.get(ElementVersion, agreement.element_version_id)
    assert version is not None
    found = require_policy(version)
    assert found.policy is not None
    row, decision = gate.decide(agreement.id, Action.QUERY, purpose, utcnow())
    if not decision.allowed:
        raise gate.denial(row, decision, Action.QUERY, purpose, utcnow())
    try:
        vetted = vet(sql, found.policy, found.columns)
    except Rejected as exc:
        raise ValidationFailed(exc.message, errors={"sql": [exc.message]},
                               rule=exc.rule) from None
    return p, agreement, version, found, vetted


def _reclaim(answer: SandboxAnswer) -> None:
    """409 while an identical query runs; drop a reservation its crashed owner left behind."""
    timeout = float(current_app.config.get("SANDBOX_TIMEOUT_SECONDS", 10.0))
    if answer.created_at > utcnow() - timedelta(seconds=timeout + RECLAIM_GRACE_S):
        raise Conflict("An identical query of this license is still running; retry when it "
                       "has finished to receive its answer.")
    budget.unreserve(answer.id)


def run_query(principal: Principal | None, license_id: str, sql: str,
              purpose: str | None) -> tuple[dict[str, Any], PrivateResult]:
    p, agreement, version, found, vetted = _prepare(principal, license_id, sql, purpose)
    policy = found.policy
    assert policy is not None
    used = gate.consume(agreement.id, Action.QUERY, purpose)
    wallet = budget.lock(agreement.id, policy.epsilon_per_license)
    ticket = Ticket(used.id, used.buyer_org_id, used.listing_id, version.id, vetted.fingerprint,
                    hashlib.sha256(vetted.normalised_sql.encode()).hexdigest(),
                    wallet.spent_nano, wallet.limit_nano)
    answer = budget.cached(agreement.id, vetted.fingerprint)
    if answer is not None and answer.ledger_index != budget.PENDING:
        release, result_sha256 = release_from_dict(answer.release), answer.result_sha256
        index = record(p, ticket, result_sha256)
        db.session.commit()
        return outcome(ticket, result_sha256, index), present(release, vetted)
    if answer is not None:
        _reclaim(answer)
    execution = plan(vetted, policy, found.columns)
    cost = budget.debit(agreement.id, policy.epsilon_per_query)
    answer_id = budget.reserve(agreement.id, vetted.fingerprint, version.id, cost, utcnow())
    ticket = dataclasses.replace(ticket, cost=cost, answer_id=answer_id)
    path = str(current_app.extensions["elx.blobs"].local_path(version.output_sha256))
    db.session.commit()  # ε spent, use counted, slot held; no transaction while it runs
    try:
        release = execute(path, execution)
        doc = release_to_dict(release)
        result_sha256 = digest(doc)
        index = record(p, ticket, result_sha256)
        if not budget.fill(answer_id, doc, result_sha256, index):
            raise Conflict("The query's reservation was taken over; retry the query.")
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        error = abandon(p, ticket, exc)
        if error is None:
            raise
        raise error from None
    return outcome(ticket, result_sha256, index), present(release, vetted)
