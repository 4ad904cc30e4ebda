"""The revenue split over a period (issue 6 §3, issue 8 §6): what sales less refunds gave the
merchants, the platform's commission and the public-service fund, per currency and month,
summed from the journal's own lines (so it equals the postings to the fen)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select

from marketplace.db import db
from marketplace.revenue.journal_query import JournalFilter, where
from marketplace.revenue.models import JournalLine as L
from marketplace.revenue.models import JournalTransaction as T
from marketplace.revenue.models import TransactionKind
from marketplace.revenue.postings import (
    MERCHANT_PREFIX,
    PLATFORM_COMMISSION,
    PROVIDER_CLEARING,
    PUBLIC_SERVICE_FUND,
    REFUNDS,
)

SHARES = ("merchant_fen", "platform_fen", "public_service_fen", "borne_refunds_fen")

_SHARE = case((L.account.startswith(MERCHANT_PREFIX, autoescape=True), literal("merchant_fen")),
              (L.account == PLATFORM_COMMISSION, literal("platform_fen")),
              (L.account == PUBLIC_SERVICE_FUND, literal("public_service_fen")),
              (L.account == REFUNDS, literal("borne_refunds_fen")),
              (L.account == PROVIDER_CLEARING, literal("clearing")), else_=literal("other"))


def by_month(start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Per currency and month (``YYYY-MM``) of sales and refunds in [start, end]: each share's
    credits − debits (``borne_refunds_fen``: merchant shares of refunds the platform bore, a
    debit, so ≤ 0), the gross captured and the gross refunded. For each month
    ``merchant + platform + public_service + borne_refunds = gross − refunded``."""
    net = func.sum(L.credit_fen - L.debit_fen)
    query = where(select(T.currency, T.day, T.kind, _SHARE, net, func.sum(L.debit_fen))
                   .join(L, L.transaction_id == T.id)
                   .where(T.kind.in_([TransactionKind.sale, TransactionKind.refund])),
                   JournalFilter(start, end)).group_by(T.currency, T.day, T.kind, _SHARE)
    months: dict[tuple[str, str], dict[str, int]] = {}
    for currency, day, kind, share, amount, debits in db.session.execute(query):
        slot = months.setdefault((currency, day.strftime("%Y-%m")), dict.fromkeys(
            (*SHARES, "gross_fen", "refunded_fen"), 0))
        if share == "clearing":  # the provider: gross in on a sale, out on a refund
            if kind is TransactionKind.sale:
                slot["gross_fen"] += int(debits)
            else:
                slot["refunded_fen"] += int(amount)
        elif share in SHARES:
            slot[share] += int(amount)
    return [{"currency": currency, "month": month, **values}
            for (currency, month), values in sorted(months.items())]
