"""The privacy budget of an agreement and its answer cache (issue 7 §4).

The budget row is created on a license's first query with the policy's ``epsilon_per_license``
and locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions already hold the write
lock) before the cache is read, so two identical concurrent queries cannot both miss the cache
and pay twice. :func:`debit` is the only write of ``spent_nano``: a conditional
``UPDATE … SET spent = spent + cost WHERE spent + cost <= limit``; when it matches nothing the
budget is exhausted (402). All of it happens in the caller's transaction: if anything fails
after the debit, the rollback restores the budget.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from marketplace.access.models import NANO, PrivacyBudget, SandboxAnswer
from marketplace.db import db
from marketplace.errors import PaymentRequired

__all__ = ["cached", "debit", "epsilon_text", "lock", "to_nano"]


def to_nano(epsilon: Decimal, rounding: str) -> int:
    return int((epsilon * NANO).to_integral_value(rounding=rounding))


def epsilon_text(nano: int) -> str:
    """nano-ε as a plain decimal string (``"0.5"``, ``"10"``)."""
    text = format(Decimal(nano) / NANO, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def lock(agreement_id: str, limit: Decimal) -> PrivacyBudget:
    """The agreement's budget row, created if missing (limit rounded down), row-locked."""
    values = {"agreement_id": agreement_id, "limit_nano": to_nano(limit, ROUND_FLOOR),
              "spent_nano": 0}
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(PrivacyBudget).values(**values).on_conflict_do_nothing(
        index_elements=["agreement_id"]))
    return db.session.execute(
        select(PrivacyBudget).where(PrivacyBudget.agreement_id == agreement_id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one()


def cached(agreement_id: str, fingerprint: str) -> SandboxAnswer | None:
    return db.session.scalar(select(SandboxAnswer).where(
        SandboxAnswer.agreement_id == agreement_id, SandboxAnswer.fingerprint == fingerprint))


def debit(agreement_id: str, epsilon: Decimal) -> int:
    """Spend ``epsilon`` (rounded up to nano-ε); returns the cost; 402 when it does not fit."""
    cost = to_nano(epsilon, ROUND_CEILING)
    result = db.session.execute(
        update(PrivacyBudget).where(PrivacyBudget.agreement_id == agreement_id,
                                    PrivacyBudget.spent_nano + cost <= PrivacyBudget.limit_nano)
        .values(spent_nano=PrivacyBudget.spent_nano + cost)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PaymentRequired("The license's privacy budget cannot pay for this query.",
                              rule="sandbox.budget.exhausted")
    return cost
