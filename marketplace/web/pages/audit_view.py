"""Shaping the books for the auditor pages (:mod:`.audit`): accounts grouped by currency, the
revenue split as chart series and table rows, labels in the visitor's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace.revenue import postings
from marketplace.web.i18n import gettext as _

FILTERS = ("from", "to", "account", "kind", "merchant_org_id", "reference", "limit")
MERCHANT_ANY = postings.MERCHANT_PREFIX + "*"
SHARES = ("merchant_fen", "platform_fen", "public_service_fen")


def account_label(account: str) -> str:
    """A readable name for an account code (the code itself stays visible in the tables)."""
    names = {postings.PROVIDER_CLEARING: _("Payments provider clearing"),
             postings.PLATFORM_COMMISSION: _("Platform commission"),
             postings.PUBLIC_SERVICE_FUND: _("Public-service fund"),
             postings.REFUNDS: _("Refunds borne by the platform"),
             postings.PAYOUTS: _("Payouts to merchants"),
             postings.TAX_PAYABLE: _("Tax payable"), MERCHANT_ANY: _("Merchant payable (any)")}
    if account.startswith(postings.MERCHANT_PREFIX) and account != MERCHANT_ANY:
        return _("Merchant payable")
    return names.get(account, account)


def kind_label(kind: str) -> str:
    return {"sale": _("Sale"), "refund": _("Refund"), "payout": _("Payout")}.get(kind, kind)


def accounts() -> list[tuple[str, str]]:
    """The journal filter's account choices: every fixed account, and any merchant payable."""
    codes = (postings.PROVIDER_CLEARING, MERCHANT_ANY, postings.PLATFORM_COMMISSION,
             postings.PUBLIC_SERVICE_FUND, postings.REFUNDS, postings.PAYOUTS,
             postings.TAX_PAYABLE)
    return [(code, account_label(code)) for code in codes]


def translated(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validation messages in the visitor's language (plain text: Jinja escapes them)."""
    return {field: [_(str(m)) for m in (messages if isinstance(messages, list) else
                                        [messages])] for field, messages in errors.items()}


def accounts_by_currency(balance: dict[str, Any]) -> list[dict[str, Any]]:
    """The trial balance's accounts under their currency, with that currency's totals."""
    return [{**total, "accounts": [a for a in balance["accounts"]
                                   if a["currency"] == total["currency"]]}
            for total in balance["currencies"]]


def split_by_currency(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency: month rows, their total, and the chart's labels and series (yuan)."""
    out: list[dict[str, Any]] = []
    for currency in sorted({r["currency"] for r in rows}):
        months = [r for r in rows if r["currency"] == currency]
        total = {key: sum(r[key] for r in months) for key in months[0]
                 if key.endswith("_fen")}
        names = (_("Merchants"), _("Platform commission"), _("Public-service fund"))
        series = [(name, [max(r[key], 0) / 100 for r in months])
                  for name, key in zip(names, SHARES, strict=True)]
        out.append({"currency": currency, "months": months, "total": total,
                    "labels": [r["month"] for r in months], "series": series})
    return out


def filter_query(args: Mapping[str, str]) -> dict[str, str]:
    """The journal's filter arguments in effect (for the export link and the next page)."""
    return {key: args[key] for key in FILTERS if args.get(key, "").strip()}


def exception_labels() -> dict[str, str]:
    return {"missing_in_journal": _("Captured by the provider, missing in the journal"),
            "missing_at_provider": _("In the journal, missing at the provider"),
            "unknown_charge": _("Provider charge matching no order or invoice"),
            "duplicated": _("Duplicated charge"),
            "amount_mismatch": _("Amount mismatch"),
            "refund_mismatch": _("Refund amount mismatch"),
            "agreement_mismatch": _("Paid, but the license is not active")}


def statement_totals(rows: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    keys = ("opening_payable_fen", "sales", "sales_gross_fen", "merchant_share_fen",
            "refunds_fen", "payouts_fen", "closing_payable_fen")
    return {key: sum(statement[key] for _name, statement in rows) for key in keys}
