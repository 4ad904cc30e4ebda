"""Words for the operator pages (issue 8 §5): organisation kinds and statuses, valuation flags,
plan kinds and license states, in the visitor's language. Unknown values show as themselves."""

from __future__ import annotations

from marketplace.web.i18n import gettext as _


def kind(value: str) -> str:
    return {"resource_provider": _("Data resource provider"),
            "data_developer": _("Data developer"), "data_broker": _("Data broker"),
            "compliance_consultant": _("Compliance consultant"),
            "valuation_agency": _("Valuation agency"), "buyer": _("Buyer organisation"),
            "operator": _("Operator")}.get(value, value)


def status(value: str) -> str:
    return {"pending": _("pending"), "approved": _("approved"),
            "suspended": _("suspended")}.get(value, value)


def flag(value: str) -> str:
    return {"outside": _("Price outside the valuation range"),
            "within": _("Price within the valuation range"),
            "unvalued": _("Not valued")}.get(value, value)


def plan(value: str) -> str:
    return {"free": _("Free"), "one_off": _("One-off"), "subscription": _("Subscription"),
            "metered": _("Metered"), "monthly": _("monthly"), "annual": _("annual"),
            "api_call": _("API call"), "sandbox_query": _("sandbox query")}.get(value, value)


def state(value: str) -> str:
    return {"pending_payment": _("Awaiting payment"), "active": _("Active"),
            "suspended": _("Suspended"), "expired": _("Expired"),
            "terminated": _("Terminated"),
            "revoked": _("Revoked"), "free": _("free"), "awaiting_payment": _("awaiting payment"),
            "paid": _("paid"), "unpaid": _("unpaid")}.get(value, value)
