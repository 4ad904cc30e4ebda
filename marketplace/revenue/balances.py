"""Reading the journal: account balances, payables, a sale's split, the trial balance.

Balances are ``Σ debits − Σ credits`` per account and currency (so liabilities such as a
merchant's payable come out negative; :func:`payable` flips the sign). Reads run in the
caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.db import db
from marketplace.revenue.fees import Split
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from marketplace.revenue.postings import (
    MERCHANT_PREFIX,
    PLATFORM_COMMISSION,
    PROVIDER_CLEARING,
    PUBLIC_SERVICE_FUND,
    merchant_payable,
)

_DEBITS = func.coalesce(func.sum(JournalLine.debit_fen), 0)
_CREDITS = func.coalesce(func.sum(JournalLine.credit_fen), 0)


def balances(currency: str) -> dict[str, int]:
    """Every account's ``debits − credits`` in ``currency``."""
    rows = db.session.execute(
        select(JournalLine.account, _DEBITS - _CREDITS)
        .where(JournalLine.currency == currency).group_by(JournalLine.account))
    return {account: int(net) for account, net in rows}


def account_balance(account: str, currency: str) -> int:
    net = db.session.scalar(select(_DEBITS - _CREDITS).where(
        JournalLine.account == account, JournalLine.currency == currency))
    return int(net or 0)


def payable(org_id: str, currency: str) -> int:
    """What the platform owes ``org_id`` in ``currency`` (credits − debits)."""
    return -account_balance(merchant_payable(org_id), currency)


def trial_balance() -> dict[str, int]:
    """``Σ debits − Σ credits`` per currency: zero for every currency in sound books."""
    rows = db.session.execute(
        select(JournalLine.currency, _DEBITS - _CREDITS).group_by(JournalLine.currency))
    return {currency: int(net) for currency, net in rows}


def sale_split(sale: JournalTransaction) -> Split:
    """The shares a sale credited, read back from its lines."""
    shares = {PLATFORM_COMMISSION: 0, PUBLIC_SERVICE_FUND: 0, MERCHANT_PREFIX: 0}
    for line in db.session.scalars(
            select(JournalLine).where(JournalLine.transaction_id == sale.id)):
        key = MERCHANT_PREFIX if line.account.startswith(MERCHANT_PREFIX) else line.account
        if key in shares:
            shares[key] += line.credit_fen
    return Split(shares[MERCHANT_PREFIX], shares[PLATFORM_COMMISSION],
                 shares[PUBLIC_SERVICE_FUND])


def refunded(sale: JournalTransaction) -> int:
    """How much of a sale has been refunded so far (its refunds' clearing credits)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(JournalLine.credit_fen), 0))
        .join(JournalTransaction, JournalTransaction.id == JournalLine.transaction_id)
        .where(JournalTransaction.related_id == sale.id,
               JournalTransaction.kind == TransactionKind.refund,
               JournalLine.account == PROVIDER_CLEARING))
    return int(total or 0)
