"""Auditor pages (issue 8 §6): the trial balance with the revenue split, the journal with
filters and its CSV export, the three-way reconciliation, merchant statements.

Read-only, for operator staff (auditor, operator admin): the same services and action
(``revenue.read``) as the audit API in :mod:`marketplace.revenue.views`. The CSV download is the
API's generator behind a UTF-8 byte-order mark, so spreadsheet programs (Excel on a Chinese
Windows opens BOM-less CSV as GBK) read Chinese names correctly; the API stays BOM-less.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from flask import Response, render_template, request, stream_with_context
from marshmallow import Schema, fields, validate

from marketplace.clock import utcnow
from marketplace.errors import ValidationFailed
from marketplace.fields import Text
from marketplace.http import load
from marketplace.revenue import services
from marketplace.revenue.journal_query import JournalFilter
from marketplace.revenue.models import TransactionKind
from marketplace.revenue.views import DateRange, StatementArgs
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import audit_view as view
from marketplace.web.session import web_principal

bp = console_blueprint("web_audit", __name__, url_prefix="/audit")
BOM = "\ufeff"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"account_label": view.account_label, "kind_label": view.kind_label}


Period = DateRange  # the audit API's own date range


class JournalArgs(Period):
    account = Text(load_default=None, validate=validate.Length(max=80))
    kind = Text(load_default=None, validate=validate.OneOf([k.value for k in TransactionKind]))
    merchant_org_id = Text(load_default=None, validate=validate.Length(max=24))
    reference = Text(load_default=None, validate=validate.Length(max=64))
    cursor = Text(load_default=None, validate=validate.Length(max=200))
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class ReconciliationArgs(Schema):
    run = fields.Bool(load_default=False)


def _args(schema: Schema) -> tuple[dict[str, Any], dict[str, Any]]:
    """Query arguments (empty form fields dropped) and the per-field errors, if any."""
    given = {k: v for k, v in request.args.items() if v.strip()}
    try:
        return load(schema, given), {}
    except ValidationFailed as error:
        return load(schema, {}), view.translated(error.errors)


def _filter(args: dict[str, Any]) -> JournalFilter:
    kind = TransactionKind(args["kind"]) if args["kind"] else None
    return JournalFilter(args["from_"], args["to"], args["account"], kind,
                         args["merchant_org_id"], args["reference"])


@bp.get("/trial-balance")
@page("revenue.read")
def trial_balance():  # type: ignore[no-untyped-def]
    args, errors = _args(Period())
    p = web_principal()
    balance = services.trial_balance(p)
    split = [] if errors else services.revenue_split(p, args["from_"], args["to"])
    return render_template("audit/trial_balance.html", args=args, errors=errors,
                           balance=balance, accounts=view.accounts_by_currency(balance),
                           names=dict(services.journal_merchants(p)),
                           split=view.split_by_currency(split)), 422 if errors else 200


@bp.get("/journal")
@page("revenue.read")
def journal():  # type: ignore[no-untyped-def]
    args, errors = _args(JournalArgs())
    p = web_principal()
    merchants = services.journal_merchants(p)
    found: dict[str, Any] = {"items": [], "next_cursor": None, "totals": []}
    if not errors:
        try:
            found = services.journal_lines_page(p, _filter(args), args["cursor"], args["limit"])
        except ValidationFailed as error:
            errors = view.translated(error.errors)
    query = view.filter_query(request.args)
    return render_template("audit/journal.html", args=args, errors=errors, found=found,
                           merchants=merchants, names=dict(merchants), query=query,
                           accounts=view.accounts(), kinds=[k.value for k in TransactionKind]
                           ), 422 if errors else 200


@bp.get("/journal.csv")
@page("revenue.read")
def journal_csv() -> Response:
    args = load(JournalArgs(), {k: v for k, v in request.args.items() if v.strip()})
    where = _filter(args)
    chunks = services.journal_stream(web_principal(), "csv", where.start, where.end,
                                     account=where.account, kind=where.kind,
                                     merchant_org_id=where.merchant_org_id,
                                     reference=where.reference)
    name = "journal-{}-{}.csv".format(where.start or "start", where.end or utcnow().date())
    return Response(stream_with_context(itertools.chain([BOM], chunks)),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="{name}"',
                        "Cache-Control": "no-store"})


@bp.get("/reconciliation")
@page("revenue.read")
def reconciliation():  # type: ignore[no-untyped-def]
    args, _errors = _args(ReconciliationArgs())
    p = web_principal()
    services.read(p)
    result = services.reconciliation(p) if args["run"] else None
    return render_template("audit/reconciliation.html", result=result,
                           labels=view.exception_labels())


@bp.get("/statements")
@page("revenue.read")
def statements():  # type: ignore[no-untyped-def]
    args, errors = _args(StatementArgs())
    p = web_principal()
    merchants = services.journal_merchants(p)
    chosen = [m for m in merchants if not args["merchant_org_id"]
              or m[0] == args["merchant_org_id"]]
    rows = [] if errors else [
        (name, services.statement(p, org_id, args["currency"], args["from_"] or date(1970, 1, 1),
                                  args["to"] or date(9999, 12, 31))) for org_id, name in chosen]
    return render_template("audit/statements.html", args=args, errors=errors, rows=rows,
                           merchants=merchants, totals=view.statement_totals(rows)
                           ), 422 if errors else 200
