"""A license's usage as its buyer sees it in the console (issue 8 §3; issue 7 §1, §4, §6).

* uses counted against the policy's count quota (``count lteq n``, ``contracts`` templates'
  ``max_calls``): ``Agreement.count_used`` of ``n``;
* ε spent of the privacy budget (:class:`~.models.PrivacyBudget`; before the first sandbox
  query there is no row and nothing is spent);
* metered usage rows (:class:`~.models.UsageRecord`) summed per UTC day and unit.

Reads only; every entry point authorises like ``GET /licenses`` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from contracts import LeftOperand, Operator, PolicyError, policy_from_dict
from marketplace.access.budget import epsilon_text
from marketplace.access.models import NANO, PrivacyBudget, UsageRecord, UsageUnit
from marketplace.access.policy import Effective, effective
from marketplace.auth import Principal
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.elements.models import ElementVersion
from marketplace.orders.models import Agreement
from marketplace.orders.services import get_license, list_licenses

__all__ = ["DAYS", "Usage", "buyer_usage", "count_quota", "daily", "license_usage",
           "query_policy_of"]

DAYS = 30
UNITS = tuple(u.value for u in UsageUnit)


@dataclass(frozen=True)
class Usage:
    agreement: Agreement
    used: int
    quota: int | None  # None: no count limit
    epsilon_spent: str | None  # None: no sandbox query yet
    epsilon_limit: str | None
    days: tuple[date, ...]
    per_unit: dict[str, list[int]]  # unit → count per day of ``days``

    @property
    def remaining(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.used, 0)

    @property
    def epsilon_remaining(self) -> str | None:
        if self.epsilon_spent is None or self.epsilon_limit is None:
            return None
        return epsilon_text(_nano(self.epsilon_limit) - _nano(self.epsilon_spent))


def _nano(text: str) -> int:
    return int(Decimal(text) * NANO)


def count_quota(policy_doc: dict[str, Any]) -> int | None:
    """The fewest uses any permission's top-level count constraint admits (None: unlimited)."""
    try:
        policy = policy_from_dict(policy_doc)
    except PolicyError:
        return None
    bounds = [int(c.right_operand) - (1 if c.operator is Operator.LT else 0)  # type: ignore
              for rule in policy.permissions for c in rule.constraints
              if getattr(c, "left_operand", None) is LeftOperand.COUNT
              and c.operator in (Operator.LT, Operator.LTEQ, Operator.EQ)]
    return max(min(bounds), 0) if bounds else None


def window(days: int = DAYS) -> tuple[date, ...]:
    today = utcnow().date()
    return tuple(today - timedelta(days=days - 1 - i) for i in range(days))


def daily(agreement_ids: Sequence[str], days: tuple[date, ...]) -> dict[str, dict[str, list[int]]]:
    """agreement id → unit → uses per day of ``days`` (one query for all of them)."""
    out: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {u: [0] * len(days) for u in UNITS})
    if not agreement_ids or not days:
        return out
    position = {d: i for i, d in enumerate(days)}
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=len(days) - 1)
    rows = db.session.execute(select(UsageRecord.agreement_id, UsageRecord.unit, UsageRecord.n,
                                     UsageRecord.at)
                              .where(UsageRecord.agreement_id.in_(list(agreement_ids)),
                                     UsageRecord.at >= start))
    for agreement_id, unit, n, at in rows:
        i = position.get(at.date())
        if i is not None:
            out[agreement_id][unit.value][i] += int(n)
    return out


def _usage(agreement: Agreement, days: tuple[date, ...],
           per_unit: dict[str, list[int]], wallet: PrivacyBudget | None) -> Usage:
    return Usage(agreement, int(agreement.count_used or 0), count_quota(agreement.policy),
                 epsilon_text(wallet.spent_nano) if wallet else None,
                 epsilon_text(wallet.limit_nano) if wallet else None, days, per_unit)


def _wallets(ids: Sequence[str]) -> dict[str, PrivacyBudget]:
    if not ids:
        return {}
    return {w.agreement_id: w for w in db.session.scalars(
        select(PrivacyBudget).where(PrivacyBudget.agreement_id.in_(list(ids))))}


def license_usage(principal: Principal | None, license_id: str, days: int = DAYS) -> Usage:
    """One license the caller may read (404 otherwise), with its last ``days`` days."""
    agreement = get_license(principal, license_id)
    span = window(days)
    return _usage(agreement, span, daily([agreement.id], span)[agreement.id],
                  _wallets([agreement.id]).get(agreement.id))


def buyer_usage(principal: Principal | None, days: int = DAYS,
                limit: int = 200) -> list[Usage]:
    """Every license the caller's organisations bought (not those they sold)."""
    rows, _cursor = list_licenses(principal, None, None, limit)
    assert principal is not None  # list_licenses authorised it
    mine = [a for a in rows if principal.member_of(a.buyer_org_id)]
    span = window(days)
    ids = [a.id for a in mine]
    counts, wallets = daily(ids, span), _wallets(ids)
    return [_usage(a, span, counts[a.id], wallets.get(a.id)) for a in mine]


def query_policy_of(agreement: Agreement) -> Effective:
    """The sandbox query policy in force for a license's element version (the caller has
    already read the license through :func:`license_usage` or ``get_license``)."""
    version = db.session.get(ElementVersion, agreement.element_version_id)
    assert version is not None
    return effective(version)
