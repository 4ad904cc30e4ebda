"""Merchant console: an element version's query policy (issue 7 §2, issue 8 §2) — the form
behind ``/merchant/elements/<id>/query-policy``. It reads and saves through the same services
as ``GET|PUT /api/v1/elements/{id}/query-policy`` (``access.policy.get_policy`` /
``put_policy``), loading the body with the API's ``PolicyIn`` and ``?version`` with its
``PolicyArgs``; whoever the API refuses, the page refuses the same way.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from marketplace.access import policy as access
from marketplace.access.policy import Effective, columns_of
from marketplace.access.schemas import PolicyArgs, PolicyIn
from marketplace.authz import authorize
from marketplace.elements import services as elements
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import merchant_policy_form as forms
from marketplace.web.pages.merchant_common import guard, principal, problem
from marketplace.web.pages.merchant_policy_errors import field_errors
from sandbox import PolicyError, default_policy

bp = console_blueprint("web_merchant_policy", __name__)
guard(bp)


def _identity_guess(found: Effective) -> str | None:
    """When the sandbox's rules find no identity: the column with the most distinct values in
    the quality report (a key column, most likely), else the first column."""
    names = list(found.columns)
    distinct = {c.get("name"): c.get("distinct") or 0
                for c in (found.version.quality or {}).get("columns") or []}
    ranked = sorted(names, key=lambda c: -int(distinct.get(c, 0)))
    return ranked[0] if ranked else None


def initial_values(found: Effective) -> dict[str, Any]:
    """The policy in force, else a starting point derived like the sandbox's default."""
    policy = found.policy
    if policy is None and (guess := _identity_guess(found)) is not None:
        try:
            policy = default_policy(found.columns, found.version.pii or {}, identity=guess)
        except PolicyError:
            policy = None
    doc = policy.to_dict() if policy is not None else {}
    return forms.values_from_policy(doc, found.excluded)


def summary(found: Effective) -> dict[str, Any] | None:
    """Values of the policy in force for the element page (None when there is none)."""
    if found.policy is None:
        return None
    return forms.values_from_policy(found.policy.to_dict(), found.excluded)


def _load(element_id: str) -> tuple[Any, Effective, int | None]:
    p = principal()
    number = load(PolicyArgs(), request.args.to_dict())["version"]
    element = elements.get_element(p, element_id)
    found = access.get_policy(p, element_id, number)
    authorize(p, "query_policy.write", element)
    return element, found, number


def _form(element_id: str, values: dict[str, Any] | None = None,
          error: DomainError | None = None) -> str:
    element, found, number = _load(element_id)
    columns = list(columns_of(found.version))
    message, flat = problem(error) if error else (None, {})
    if isinstance(error, ValidationFailed):
        message = _("Some values need fixing: see the messages next to the fields.")
    return render_template(
        "merchant/query_policy.html", element=element, found=found, number=number,
        values=values if values is not None else initial_values(found), columns=columns,
        fields=forms.FIELDS, texts=forms.texts(), functions=forms.FUNCTIONS,
        message=message, errors=field_errors(flat, columns))


@bp.get("/merchant/elements/<element_id>/query-policy")
@page("query_policy.write")
def query_policy(element_id: str):  # type: ignore[no-untyped-def]
    return _form(element_id)


@bp.post("/merchant/elements/<element_id>/query-policy")
@page("query_policy.write")
def save_query_policy(element_id: str):  # type: ignore[no-untyped-def]
    p = principal()
    version = load(PolicyArgs(), request.args.to_dict())["version"]
    columns = list(columns_of(elements.version(p, element_id, version)[1]))
    values = forms.values_from_form(request.form, columns)
    try:
        data = load(PolicyIn(), forms.document(values))
        access.put_policy(p, element_id, version, data["policy"], data["excluded_columns"])
    except DomainError as error:
        return _form(element_id, values, error), error.status
    return redirect(url_for("web_merchant_elements.element", element_id=element_id,
                            version=version), code=303)
