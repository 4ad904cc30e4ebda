"""Template helpers shared by every console page: money in fen, times, the CSRF field, the
signed-in person's roles (for the navigation) and the language switcher."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request
from markupsafe import Markup, escape

from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.authz import MERCHANT_ROLES
from marketplace.web import charts, csrf
from marketplace.web.i18n import HTML_LANG, LANGUAGES, current_language
from marketplace.web.i18n import gettext as _
from marketplace.web.session import web_principal


def money(fen: int | None, currency: str = "CNY") -> str:
    """``12345`` → ``¥123.45`` (integer minor units, never floats)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    symbol = "¥" if currency == "CNY" else currency + " "
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.strftime("%Y-%m-%d %H:%M")


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf.csrf_token())


def roles() -> dict[str, bool]:
    """Which console areas the signed-in person can use (navigation only; pages authorise)."""
    p = web_principal()
    if p is None:
        return {}
    approved = [m for m in p.memberships if m.org_status is OrgStatus.approved]
    have = {m.role for m in approved}
    return {"merchant": any(r in have for r in MERCHANT_ROLES),
            "buyer": Role.buyer in have, "assessor": Role.assessor in have,
            "operator": any(m.role is Role.operator_admin and m.org_kind is OrgKind.operator
                            for m in approved),
            "auditor": any(m.role in (Role.auditor, Role.operator_admin)
                           and m.org_kind is OrgKind.operator for m in approved)}


def console_nav(have: dict[str, bool]) -> list[dict[str, str]]:
    """The areas in the header, in this order; each page lives under its ``prefix``."""
    areas = [("catalog", "/catalog", "/catalog", _("Catalog")),
             ("merchant", "/merchant/assets", "/merchant", _("Merchant")),
             ("buyer", "/buyer/orders", "/buyer", _("Buyer")),
             ("assessor", "/assessor/valuations", "/assessor", _("Assessor")),
             ("operator", "/operator/organizations", "/operator", _("Operator")),
             ("auditor", "/audit/trial-balance", "/audit", _("Audit")),
             ("ledger", "/ledger", "/ledger", _("Ledger"))]
    return [{"href": href, "prefix": prefix, "label": label}
            for key, href, prefix, label in areas
            if key in ("catalog", "ledger") or have.get(key)]


def _context() -> dict[str, Any]:
    return {"principal": web_principal(), "roles": roles(), "lang": current_language(),
            "html_lang": HTML_LANG[current_language()], "languages": LANGUAGES,
            "csrf_field": csrf_field, "csrf_token": csrf.csrf_token,
            "here": request.full_path.rstrip("?"), "console_nav": console_nav}


def install(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, when=when)
    app.jinja_env.globals.update(bar_chart=charts.bar_chart, escape=escape)
    app.context_processor(_context)
