"""The privacy budget of an agreement and its answer cache (issue 7 §4).

The budget row is created on a license's first query with the policy's ``epsilon_per_license``
and locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions already hold the write
lock) before the cache is read, so two identical concurrent queries cannot both miss the cache
and pay twice. :func:`debit` is the only write of ``spent_nano``: a conditional
``UPDATE … SET spent = spent + cost WHERE spent + cost <= limit``; when it matches nothing the
budget is exhausted (402). Nothing here commits.

A query about to run holds its cache slot with a *pending* answer row (:func:`reserve`,
``ledger_index`` = :data:`PENDING`), committed together with the debit; the unique
(agreement, fingerprint) key keeps every identical query out until :func:`fill` completes it
or :func:`unreserve` gives the slot back. ε once committed is never given back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from marketplace.access.models import NANO, PrivacyBudget, SandboxAnswer
from marketplace.db import db
from marketplace.errors import PaymentRequired
from marketplace.ids import new_id

__all__ = ["PENDING", "cached", "debit", "epsilon_text", "fill", "lock", "reserve", "to_nano",
           "unreserve"]

#: ``ledger_index`` of a reserved answer whose query has not finished.
PENDING = -1


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
    """The committed answer row (finished or :data:`PENDING`) of the query, if any."""
    return db.session.scalar(select(SandboxAnswer).where(
        SandboxAnswer.agreement_id == agreement_id, SandboxAnswer.fingerprint == fingerprint)
        .execution_options(populate_existing=True))


def reserve(agreement_id: str, fingerprint: str, version_id: str, cost: int,
            at: datetime) -> str:
    """Hold the cache slot of a query about to run (a pending answer); returns its id."""
    answer = SandboxAnswer(id=new_id("sqa"), agreement_id=agreement_id, fingerprint=fingerprint,
                           element_version_id=version_id, release={}, result_sha256="",
                           epsilon_nano=cost, created_at=at, ledger_index=PENDING)
    db.session.add(answer)
    db.session.flush()
    return answer.id


def fill(answer_id: str, release: dict[str, Any], result_sha256: str, ledger_index: int) -> bool:
    """Complete a reservation; False when it is no longer pending under that id."""
    result = db.session.execute(
        update(SandboxAnswer).where(SandboxAnswer.id == answer_id,
                                    SandboxAnswer.ledger_index == PENDING)
        .values(release=release, result_sha256=result_sha256, ledger_index=ledger_index)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def unreserve(answer_id: str) -> None:
    """Give a reserved slot back (its query failed or was abandoned)."""
    db.session.execute(delete(SandboxAnswer).where(SandboxAnswer.id == answer_id,
                                                   SandboxAnswer.ledger_index == PENDING)
                       .execution_options(synchronize_session=False))


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
