"""Accounts and the balanced lines of each posting (issue 6 §3), pure.

Accounts (one ledger per currency; a line's amount is on exactly one side):

================================  ======  =================================================
``provider_clearing``             asset   money held by the payment provider: + captured
                                          payments, − refunds paid back to buyers
``merchant_payable:{org}``        owed    what the platform owes a merchant organisation
``platform_commission``           income  the operator's commission
``public_service_fund``           owed    the public-service share set aside
``refunds``                       loss    merchant shares of refunds the platform bore
                                          because that merchant had already been paid out
                                          (recovering them is a later correcting posting)
``payouts``                       asset−  money sent to merchants (bank transfers)
``tax_payable``                   owed    reserved for tax on commission; no rule posts yet
================================  ======  =================================================

A sale debits clearing with the gross and credits the three shares; a refund reverses its pro
rata part of the sale's shares (:func:`~.fees.reversal`) against clearing; a payout moves a
merchant's payable to ``payouts``. Zero amounts produce no line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from marketplace.revenue.fees import Split

PROVIDER_CLEARING = "provider_clearing"
PLATFORM_COMMISSION = "platform_commission"
PUBLIC_SERVICE_FUND = "public_service_fund"
REFUNDS = "refunds"
PAYOUTS = "payouts"
TAX_PAYABLE = "tax_payable"
MERCHANT_PREFIX = "merchant_payable:"
_ORG = re.compile(r"[A-Za-z0-9_-]{1,48}")


def merchant_payable(org_id: str) -> str:
    if not _ORG.fullmatch(org_id):
        raise ValueError(f"not an organisation id: {org_id!r}")
    return MERCHANT_PREFIX + org_id


def merchant_of(account: str) -> str | None:
    return account[len(MERCHANT_PREFIX):] if account.startswith(MERCHANT_PREFIX) else None


@dataclass(frozen=True)
class Line:
    account: str
    debit_fen: int = 0
    credit_fen: int = 0

    def __post_init__(self) -> None:
        if min(self.debit_fen, self.credit_fen) < 0 or (self.debit_fen > 0) == (
                self.credit_fen > 0):
            raise ValueError(f"{self.account}: exactly one of debit/credit is > 0")


def debit(account: str, amount: int) -> list[Line]:
    return [Line(account, debit_fen=amount)] if amount else []


def credit(account: str, amount: int) -> list[Line]:
    return [Line(account, credit_fen=amount)] if amount else []


class Unbalanced(ValueError):
    """Σ debits ≠ Σ credits: a bug in a posting rule, never stored."""


def check_balanced(lines: Iterable[Line]) -> None:
    lines = list(lines)
    debits = sum(line.debit_fen for line in lines)
    credits = sum(line.credit_fen for line in lines)
    if not lines or debits != credits:
        raise Unbalanced(f"debits {debits} != credits {credits} (or no lines)")


def sale_lines(org_id: str, shares: Split) -> list[Line]:
    return [*debit(PROVIDER_CLEARING, shares.gross_fen),
            *credit(merchant_payable(org_id), shares.merchant_fen),
            *credit(PLATFORM_COMMISSION, shares.platform_fen),
            *credit(PUBLIC_SERVICE_FUND, shares.public_service_fen)]


def refund_lines(org_id: str, reversed_: Split, payable_fen: int) -> list[Line]:
    """Reverse ``reversed_``; the merchant part beyond ``payable_fen`` (already paid out) is
    borne by the platform on ``refunds`` so no payable goes below zero."""
    from_merchant = min(reversed_.merchant_fen, max(payable_fen, 0))
    return [*debit(merchant_payable(org_id), from_merchant),
            *debit(REFUNDS, reversed_.merchant_fen - from_merchant),
            *debit(PLATFORM_COMMISSION, reversed_.platform_fen),
            *debit(PUBLIC_SERVICE_FUND, reversed_.public_service_fen),
            *credit(PROVIDER_CLEARING, reversed_.gross_fen)]


def payout_lines(org_id: str, amount_fen: int) -> list[Line]:
    return [*debit(merchant_payable(org_id), amount_fen), *credit(PAYOUTS, amount_fen)]
