"""Buyer console — the sandbox query editor (issue 8 §3, issue 7 §2–6), over the service of
``POST /licenses/{id}/queries`` (:func:`marketplace.access.queries.run_query`).

The form posts the SQL; the answer page shows the released rows, how many groups were
suppressed, ε spent and remaining, and the ledger receipt (entry index, its RFC 9162 leaf hash,
the result digest) linking to the ledger explorer, which verifies it in the browser. A refused
query (422 rule, 403 license, 402 quota or budget) is a message on the same page.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import render_template, request

from ledger.canonical import b64decode_strict
from ledger.merkle import leaf_hash
from marketplace.access import queries, schemas, usage
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.http import load
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import buyer_common as common
from marketplace.web.session import web_principal

bp = console_blueprint("web_buyer_sandbox", __name__)
common.install(bp)


def _name(identifier: str) -> str:
    return identifier if re.fullmatch(r"\w+", identifier) else \
        '"' + identifier.replace('"', '""') + '"'


def example_sql(policy: Any) -> str:
    """A first query the policy admits, for the buyer to edit: a count per dimension (or
    overall). Never run by us: whatever the buyer submits is vetted by the sandbox."""
    if policy is None:
        return ""
    table = _name(policy.table)
    if policy.dimensions:
        dim = _name(sorted(policy.dimensions)[0])
        return f"SELECT {dim}, count(*) AS n\nFROM {table}\nGROUP BY {dim}"
    return f"SELECT count(*) AS n FROM {table}"  # noqa: S608


def receipt_view(outcome: dict[str, Any]) -> dict[str, Any]:
    receipt = outcome["receipt"]
    return {"index": outcome["ledger_index"],
            "leaf_hash": leaf_hash(b64decode_strict(receipt["entry"])).hex(),
            "result_sha256": outcome["result_sha256"],
            "json": json.dumps(receipt, indent=2, ensure_ascii=False)}


def _page(license_id: str, sql: str | None = None, answer: dict[str, Any] | None = None,
          failure: dict[str, Any] | None = None) -> tuple[str, int]:
    found = usage.license_usage(web_principal(), license_id)
    effective = usage.query_policy_of(found.agreement)
    return render_template(
        "buyer/sandbox.html", u=found, agreement=found.agreement, policy=effective.policy,
        columns=effective.licensed, sql=example_sql(effective.policy) if sql is None else sql,
        answer=answer, failure=failure,
        receipt=receipt_view(answer) if answer else None,
    ), failure["status"] if failure else 200


@bp.get("/buyer/licenses/<license_id>/sandbox")
@page("sandbox.query")
def sandbox(license_id: str):  # type: ignore[no-untyped-def]
    return _page(license_id)


@bp.post("/buyer/licenses/<license_id>/sandbox")
@page("sandbox.query")
def run(license_id: str):  # type: ignore[no-untyped-def]
    sql = request.form.get("sql", "")
    agreement = usage.license_usage(web_principal(), license_id).agreement  # 404 first
    try:
        data = load(schemas.QueryIn(), {"sql": sql, "purpose": agreement.purpose})
        outcome, result = queries.run_query(web_principal(), license_id, data["sql"],
                                            data["purpose"])
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 404):
            raise
        return _page(license_id, sql, failure=common.problem(error))
    return _page(license_id, sql, answer=schemas.query_out(outcome, result))
