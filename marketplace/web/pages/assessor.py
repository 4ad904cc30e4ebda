"""Assessor pages (issue 8 §4): the agency's valuations, the valuation form per method and a
valuation's computed result, range and sensitivity table.

The form is generated from the API's input schema (:mod:`.valuation_form`); a submission is
loaded by the same schema and recorded by the same service as ``POST
/elements/{id}/valuations`` (:func:`marketplace.valuations.services.record`).
"""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.accounts.organizations import names as org_names
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.valuations import queries, schemas, services
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import valuation_form as vf
from marketplace.web.pages import valuation_labels as words
from marketplace.web.pages.valuation_errors import field_errors
from marketplace.web.session import web_principal

bp = console_blueprint("web_assessor", __name__)
METHODS = schemas.METHOD_NAMES


@bp.get("/assessor/valuations")
@page("valuation.list")
def valuations():  # type: ignore[no-untyped-def]
    rows = queries.for_agencies(web_principal())
    return render_template("assessor/valuations.html", rows=rows, words=words,
                           agencies=org_names({r.agency_org_id for r in rows}))


def _form(element_id: str, values: dict[str, str], errors: dict[str, list[str]],
          message: str | None = None, status: int = 200) -> tuple[str, int]:
    principal = web_principal()
    subject = queries.subject(principal, element_id) if element_id else None
    agencies = subject.agencies if subject else queries.agencies(principal)
    method = values.get("method") if values.get("method") in METHODS else METHODS[0]
    return render_template(
        "assessor/new.html", subject=subject, agencies=agencies, methods=METHODS,
        method=method, fields={m: vf.method_fields(m) for m in METHODS}, words=words,
        values=values, errors=errors, message=message, element_id=element_id), status


@bp.get("/assessor/valuations/new")
@page("valuation.create")
def new_valuation():  # type: ignore[no-untyped-def]
    element_id = request.args.get("element", "").strip()
    return _form(element_id, {"method": request.args.get("method", "")}, {})


@bp.post("/assessor/valuations")
@page("valuation.create")
def record_valuation() -> Response | tuple[str, int]:
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    element_id, method = values.get("element", "").strip(), values.get("method", "")
    if not element_id:
        return _form("", values, {"element": [_("Enter the element's id.")]}, status=422)
    if method not in METHODS:
        return _form(element_id, values, {"method": [_("Choose a method.")]}, status=422)
    document, rows = vf.request_document(method, values)
    try:
        data = load(schemas.ValuationIn(), document)
        row = services.record(web_principal(), element_id, data)
    except ValidationFailed as error:
        errors = field_errors(error.errors, vf.known_names(method), rows)
        return _form(element_id, values, errors, _("Check the marked fields."), error.status)
    except DomainError as error:
        if error.status in (401, 404):
            raise
        return _form(element_id, values, {}, error.detail, error.status)
    return redirect(url_for("web_assessor.valuation", valuation_id=row.id), code=303)


def _sensitivity_chart(rows: list[dict[str, Any]]) -> tuple[list[str], list[float]]:
    labels = [f"{words.SYMBOLS.get(r['driver'], r['driver'])} {r['shift']}" for r in rows]
    return labels, [r["value_fen"] / 100 for r in rows]


@bp.get("/assessor/valuations/<valuation_id>")
@page("valuation.read")
def valuation(valuation_id: str):  # type: ignore[no-untyped-def]
    row = queries.get(web_principal(), valuation_id)
    record = row.record
    labels, values = _sensitivity_chart(record["result"]["sensitivity"])
    return render_template(
        "assessor/valuation.html", row=row, record=record, words=words,
        agency=org_names({row.agency_org_id}).get(row.agency_org_id, row.agency_org_id),
        chart_labels=labels, chart_values=values,
        inputs=json.dumps(record["inputs"], ensure_ascii=False, indent=2, sort_keys=True))
