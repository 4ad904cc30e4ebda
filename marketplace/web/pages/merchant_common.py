"""Shared pieces of the merchant console (issue 8 §2): which organisation a page acts for, the
area guard, and form-error helpers.

Every ``/merchant`` page first authorises ``merchant.console`` (RULES) for the organisation it
acts for — the ``org`` query argument when the person is a merchant there, else their first
approved merchant organisation — so operator staff, buyers and people of unapproved
organisations get 403; the services then authorise each resource as the API does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, g, request

from marketplace.auth import Principal
from marketplace.authz import MERCHANT_ROLES, authorize
from marketplace.errors import DomainError, Unauthorized, ValidationFailed
from marketplace.web.i18n import gettext as _
from marketplace.web.session import web_principal

PRICE_DIGITS = 2


def principal() -> Principal:
    p = web_principal()
    if p is None:
        raise Unauthorized("Sign in to see this page.")
    return p


def acting_org() -> str:
    """The merchant organisation of this request (set by :func:`guard`)."""
    return str(g.elx_merchant_org)


def _choose_org() -> None:
    p = principal()
    orgs = p.approved_orgs(*MERCHANT_ROLES)
    wanted = request.args.get("org", "")
    org_id = wanted if wanted in orgs else (orgs[0] if orgs else "")
    authorize(p, "merchant.console", org_id)
    g.elx_merchant_org = org_id


def guard(bp: Blueprint) -> None:
    """Install the area check on a merchant blueprint (after the CSRF guard) and the
    template helpers the merchant pages share."""
    bp.before_request(_choose_org)
    bp.add_app_template_global(errors_for, "merchant_errors")
    bp.add_app_template_global(label, "merchant_label")


def errors_for(errors: Mapping[str, list[str]], name: str) -> list[tuple[str, str]]:
    """The messages of field ``name`` and of every path under it (``steps`` → ``steps.0.x``)."""
    return [(key, m) for key, messages in errors.items()
            if key == name or key.startswith(name + ".") for m in messages]


def label(value: str) -> str:
    """Enumerated values (states, classifications, frequencies, plan kinds) in the visitor's
    language; anything else unchanged."""
    labels = {
        "queued": _("queued"), "running": _("running"), "succeeded": _("succeeded"),
        "failed": _("failed"), "cancelled": _("cancelled"), "draft": _("draft"),
        "submitted": _("submitted for review"), "approved": _("approved"),
        "rejected": _("rejected"), "listed": _("listed"), "delisted": _("delisted"),
        "general": _("general data"), "important": _("important data"),
        "core": _("core data"), "realtime": _("real time"), "daily": _("daily"),
        "weekly": _("weekly"), "monthly": _("monthly"), "quarterly": _("quarterly"),
        "yearly": _("yearly"), "once": _("once"), "free": _("free"),
        "one_off": _("one-off purchase"), "subscription": _("subscription"),
        "metered": _("metered"), "annual": _("annual"), "api_call": _("API call"),
        "sandbox_query": _("sandbox query"), "records_api": _("records API"),
        "sandbox": _("sandbox"), "within": _("within the valuation range"),
        "outside": _("outside the valuation range"), "unvalued": _("not valued yet"),
        "declared": _("declared"), "detected": _("detected"),
        "completeness": _("completeness"), "uniqueness": _("uniqueness"),
        "validity": _("validity"), "consistency": _("consistency"),
        "timeliness": _("timeliness"), "accuracy": _("accuracy"), "count": _("count"),
        "count_distinct": _("count distinct"), "sum": _("sum"), "avg": _("average")}
    return labels.get(value, value)


def owned(org_id: str) -> None:
    """Pages that act on a resource act for its owner: 403 unless a merchant there."""
    authorize(principal(), "merchant.console", org_id)


def flatten(errors: Mapping[Any, Any] | list[Any], prefix: str = "") -> dict[str, list[str]]:
    """``{"plans": {0: {"price_fen": ["…"]}}}`` → ``{"plans.0.price_fen": ["…"]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping):
                out.update(flatten(value, path))
            else:
                out.setdefault(path, []).extend(str(v) for v in value)
    else:
        out.setdefault(prefix or "_schema", []).extend(str(v) for v in errors)
    return out


def problem(error: DomainError) -> tuple[str, dict[str, list[str]]]:
    """The message and per-field errors (dotted paths) of a service error."""
    fields = flatten(error.errors) if isinstance(error, ValidationFailed) else {}
    return error.detail, fields


def parse_fen(text: str, path: str) -> int | None:
    """``"500"`` or ``"1,234.50"`` yuan → fen; empty → None; anything else is 422 at ``path``."""
    cleaned = text.replace(",", "").replace("¥", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or not isinstance(exponent, int) \
            or exponent < -PRICE_DIGITS:
        raise ValidationFailed(errors={path: [_("Enter an amount in yuan, e.g. 500 or 12.50.")]})
    return int(value * 100)
