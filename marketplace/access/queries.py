"""``POST /licenses/{id}/queries`` — a sandbox query end to end (issue 7 §2–6).

authorise (the buyer organisation's people or API keys) → ``authorize_use(query)`` (402 quota,
403 otherwise) → ``sandbox.vet`` (422 with the rule id; nothing of the query is echoed) → lock
the budget row → cached answer for (agreement, fingerprint)? → else debit ε atomically (402),
run the plan in the app's worker pool (504 timeout / 503 engine failure, one generic message
each), ``apply_privacy`` and cache the release → count the use → ``present`` → ledger entry
``sandbox.query.executed`` → usage row → one commit → the entry's receipt. Any failure rolls
the whole transaction back, the ε debit included.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app

from contracts import Action
from marketplace.access import budget, gate
from marketplace.access.models import SandboxAnswer, UsageUnit
from marketplace.access.policy import require_policy
from marketplace.access.runner import runner
from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import ElementVersion
from marketplace.errors import Conflict, DomainError, NotFound, ValidationFailed
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger
from marketplace.orders.models import Agreement
from sandbox import (
    GENERIC_FAILURE,
    PolicyError,
    PrivateResult,
    QueryFailed,
    QueryTimeout,
    Rejected,
    Release,
    apply_privacy,
    plan,
    present,
    release_from_dict,
    release_to_dict,
    vet,
)

__all__ = ["EXECUTED", "QueryOutcome", "run_query"]

EXECUTED = "sandbox.query.executed"


class QueryTimedOut(DomainError):
    status, slug, title = 504, "query-timeout", "Query timed out"


class SandboxUnavailable(DomainError):
    status, slug, title = 503, "query-failed", "Query failed"


QueryOutcome = dict[str, Any]


def _digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _execute(version: ElementVersion, vetted: Any, policy: Any,
             columns: dict[str, str]) -> Release:
    execution = plan(vetted, policy, columns)
    path = current_app.extensions["elx.blobs"].local_path(version.output_sha256)
    try:
        result = runner().execute(path, execution)
        return apply_privacy(result.rows, execution,
                             max_rows_per_identity=result.max_rows_per_identity)
    except QueryTimeout:
        raise QueryTimedOut("The query ran past the time limit and was stopped.") from None
    except QueryFailed:
        raise SandboxUnavailable(GENERIC_FAILURE) from None
    except PolicyError:
        raise Conflict("The element no longer satisfies its query policy's contribution "
                       "bound; its merchant must review the policy.") from None


def run_query(principal: Principal | None, license_id: str, sql: str,
              purpose: str | None) -> tuple[QueryOutcome, PrivateResult]:
    p = authorize(principal, "license.list")
    agreement = get_by_id(Agreement, license_id)
    if agreement is None:
        raise NotFound("No such license.")
    authorize(p, "license.read", agreement)
    authorize(p, "sandbox.query", agreement)
    version = db.session.get(ElementVersion, agreement.element_version_id)
    assert version is not None
    found = require_policy(version)
    policy, columns = found.policy, found.columns
    assert policy is not None
    decided = gate.decide(agreement.id, Action.QUERY, purpose, utcnow())
    if not decided[1].allowed:
        raise gate.denial(decided[0], decided[1], Action.QUERY, purpose, utcnow())
    try:
        vetted = vet(sql, policy, columns)
    except Rejected as exc:
        raise ValidationFailed(exc.message, errors={"sql": [exc.message]},
                               rule=exc.rule) from None
    wallet = budget.lock(agreement.id, policy.epsilon_per_license)
    answer, cost = budget.cached(agreement.id, vetted.fingerprint), 0
    if answer is None:
        cost = budget.debit(agreement.id, policy.epsilon_per_query)
        release = _execute(version, vetted, policy, columns)
        doc = release_to_dict(release)
        answer = SandboxAnswer(id=new_id("sqa"), agreement_id=agreement.id,
                               fingerprint=vetted.fingerprint, element_version_id=version.id,
                               release=doc, result_sha256=_digest(doc), epsilon_nano=cost,
                               created_at=utcnow(), ledger_index=-1)
        db.session.add(answer)
    release = release_from_dict(answer.release)
    agreement = gate.consume(agreement.id, Action.QUERY, purpose, decided)
    result = present(release, vetted)
    index = ledger.record(EXECUTED, agreement.id, p, agreement.buyer_org_id, {
        "agreement_id": agreement.id, "element_version_id": version.id,
        "fingerprint": vetted.fingerprint,
        "normalised_sql_sha256": hashlib.sha256(vetted.normalised_sql.encode()).hexdigest(),
        "result_sha256": answer.result_sha256, "epsilon_spent": budget.epsilon_text(cost),
        "cached": cost == 0})
    if answer.ledger_index < 0:
        answer.ledger_index = index
    gate.meter(agreement, UsageUnit.sandbox_query, p)
    spent = wallet.spent_nano + cost
    outcome = {"license_id": agreement.id, "element_version_id": version.id,
               "cached": cost == 0, "result_sha256": answer.result_sha256,
               "epsilon": {"spent": budget.epsilon_text(cost),
                           "total_spent": budget.epsilon_text(spent),
                           "remaining": budget.epsilon_text(wallet.limit_nano - spent),
                           "limit": budget.epsilon_text(wallet.limit_nano)},
               "ledger_index": index}
    db.session.commit()
    outcome["receipt"] = ledger.receipt(index)
    return outcome, result
