"""Revenue and audit services (issue 6 §3, §4): each authorises first, then reads (or, for fee
schedules and day closes, writes and commits once). Operator staff (the auditor included) read
everything; a merchant reads its own statements; only an operator admin sets fees.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.auth import Principal
from marketplace.authz import acting_merchant_org, authorize
from marketplace.db import db
from marketplace.orders.payments import gateway
from marketplace.revenue import closing, journal_query, reconcile, reports, splits, spool
from marketplace.revenue.models import FeeSchedule
from marketplace.revenue.schedules import add_schedule


def read(principal: Principal | None) -> Principal:
    return authorize(principal, "revenue.read")


def trial_balance(principal: Principal | None) -> dict[str, Any]:
    read(principal)
    return reports.trial_balance()


def journal(principal: Principal | None, start: date | None, end: date | None,
            cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    read(principal)
    return reports.journal_page(start, end, cursor, limit)


def journal_stream(principal: Principal | None, fmt: str, start: date | None,
                   end: date | None, **filters: Any) -> Iterator[str]:
    """Every line of the range as CSV or JSON Lines; ``filters`` as :class:`.JournalFilter`."""
    read(principal)
    write = reports.journal_csv if fmt == "csv" else reports.journal_jsonl
    return write(start, end, **filters)


# --- web console (issue 8 §6): the journal's lines filtered and paged, merchants, the split ---
def journal_lines_page(principal: Principal | None, where: journal_query.JournalFilter,
                       cursor: str | None, limit: int) -> dict[str, Any]:
    read(principal)
    items, following = journal_query.page(where, cursor, limit)
    return {"items": items, "next_cursor": following, "totals": journal_query.totals(where)}


def journal_merchants(principal: Principal | None) -> list[tuple[str, str]]:
    read(principal)
    return journal_query.merchants()


def revenue_split(principal: Principal | None, start: date | None,
                  end: date | None) -> list[dict[str, Any]]:
    read(principal)
    return splits.by_month(start, end)
# --- end web console ---


def statement(principal: Principal | None, org_id: str | None, currency: str, start: date,
              end: date) -> dict[str, Any]:
    p = authorize(principal, "element.lookup")
    if org_id is None and not p.is_operator_staff():
        org_id = acting_merchant_org(p, None)
    authorize(p, "revenue.statement.read", org_id)
    return reports.statement(org_id or "", currency, start, end)


def reconciliation(principal: Principal | None) -> dict[str, Any]:
    read(principal)
    with spool.fetch(gateway().charges()) as charges:  # type: ignore[attr-defined]
        result = reconcile.report(charges)
    result["closed_days"] = closing.check_closed_days()
    return result


def fee_schedules(principal: Principal | None) -> list[FeeSchedule]:
    read(principal)
    return list(db.session.scalars(select(FeeSchedule).order_by(
        FeeSchedule.currency, FeeSchedule.effective_from)))


def set_fee_schedule(principal: Principal | None, data: dict[str, Any]) -> FeeSchedule:
    authorize(principal, "revenue.fees.write")
    schedule = add_schedule(**data)
    db.session.commit()
    return schedule


def operator_org() -> str | None:
    from marketplace.accounts.models import Organization

    return db.session.scalar(select(Organization.id).where(
        Organization.kind == OrgKind.operator, Organization.status == OrgStatus.approved)
        .order_by(Organization.id).limit(1))


def close_day(day: date) -> closing.DayClose:
    """The CLI's and the worker's daily close (no person acts: the operator organisation)."""
    return closing.close_day(day, operator_org() or "platform")


def audit_pack(principal: Principal | None) -> Iterator[str]:
    """JSON Lines: a header, the trial balance, every journal line, every merchant's
    statement for all time, the reconciliation, and the ledger receipt of each day close."""
    read(principal)
    from marketplace.ledger_api import services as ledger
    from marketplace.revenue.models import JournalTransaction

    charges = spool.fetch(gateway().charges())  # type: ignore[attr-defined]

    def line(section: str, body: dict[str, Any]) -> str:
        return json.dumps({"section": section, **body}, ensure_ascii=False,
                          separators=(",", ":")) + "\n"

    def generate() -> Iterator[str]:
        yield line("header", {"format": "elx-audit-pack/1",
                              "generated_at": datetime.now().astimezone().isoformat()})
        yield line("trial_balance", reports.trial_balance())
        for row in reports.journal_lines(None, None):
            yield line("journal", row)
        merchants = list(db.session.execute(select(
            JournalTransaction.merchant_org_id, JournalTransaction.currency).distinct()
            .order_by(JournalTransaction.merchant_org_id, JournalTransaction.currency)))
        for org, currency in merchants:
            yield line("statement", reports.statement(org, currency, date.min, date.max))
        with charges:
            recon = reconcile.report(charges)
        yield line("reconciliation", recon)
        for check in closing.check_closed_days():
            yield line("day_close", {**check, "receipt": ledger.receipt(check["ledger_index"])})
        yield line("end", {})

    return generate()


def merchant_member(p: Principal, org_id: Any) -> bool:
    return any(m.org_id == org_id and m.role in (Role.merchant_admin, Role.merchant_member)
               for m in p.memberships)
