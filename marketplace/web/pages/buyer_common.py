"""What every buyer console page shares (issue 8 §3): the buyer gate, state labels in the
visitor's language, the test cards offered at checkout and problem details for forms.

The gate is the named rule ``console.buyer`` (a buyer of an approved buyer organisation);
each page then calls the same services as the API, which authorise the resource itself.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from marketplace.accounts.models import Organization, Role
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.errors import DomainError, ValidationFailed
from marketplace.payments.errors import CardDeclined
from marketplace.web.i18n import gettext as _
from marketplace.web.session import web_principal

#: Stripe test payment methods (https://docs.stripe.com/testing#cards) that both localstripe
#: and the in-package fake gateway understand.
TEST_CARDS = ("pm_card_visa", "pm_card_visa_chargeDeclined")


def require_buyer() -> None:
    authorize(web_principal(), "console.buyer")


def state_label(value: Any) -> str:
    """Order and license states, and usage units, as words (unknown values as they are)."""
    key = getattr(value, "value", value)
    labels = {"pending_payment": _("Awaiting payment"), "active": _("Active"),
              "suspended": _("Suspended"), "expired": _("Expired"),
              "terminated": _("Terminated"), "revoked": _("Revoked"), "free": _("Free"),
              "awaiting_payment": _("Awaiting payment"), "paid": _("Paid"),
              "unpaid": _("Unpaid"), "api_call": _("API calls"),
              "sandbox_query": _("Sandbox queries")}
    return labels.get(str(key), str(key))


def card_label(method: str) -> str:
    return {"pm_card_visa": _("Visa •••• 4242 — payment succeeds"),
            "pm_card_visa_chargeDeclined": _("Visa •••• 0002 — card is declined")}[method]


def plan_label(plan: Any) -> str:
    kind = getattr(plan.kind, "value", plan.kind)
    return {"free": _("Free"), "one_off": _("One-off purchase"),
            "subscription": _("Subscription"), "metered": _("Pay per use")}.get(kind, kind)


def is_test_gateway() -> bool:
    """A test gateway: the fake, or a Stripe-compatible one with a test secret key."""
    config = current_app.config
    return config["PAYMENTS_GATEWAY"] == "fake" or \
        str(config.get("STRIPE_SECRET_KEY", "")).startswith("sk_test")


def buyer_orgs(principal: Principal) -> list[tuple[str, str]]:
    """(id, name) of the approved buyer organisations the person buys for."""
    ids = principal.approved_orgs(Role.buyer)
    return [(org_id, getattr(db.session.get(Organization, org_id), "name", org_id))
            for org_id in ids]


def problem(error: DomainError) -> dict[str, Any]:
    """A service error for a form: translated title, detail, and per-field messages."""
    errors = error.errors if isinstance(error, ValidationFailed) else {}
    return {"status": error.status, "title": _(error.title), "detail": error.detail,
            "errors": errors, "rule": error.extra.get("rule")}


def declined(error: CardDeclined) -> dict[str, Any]:
    """:func:`problem` for a declined card, telling the buyer nothing was charged."""
    failure = problem(error)
    failure["detail"] = _("The card was declined (%(code)s). Choose another card and try "
                          "again; nothing was charged.",
                          code=error.decline_code or error.code or "card_declined")
    return failure


def install(bp: Blueprint) -> None:
    bp.before_request(require_buyer)
    for name, helper in (("buyer_label", state_label), ("buyer_plan_label", plan_label),
                         ("buyer_card_label", card_label)):
        bp.add_app_template_global(helper, name)
