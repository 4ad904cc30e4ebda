"""Filtered reads of the revenue journal for auditors (issue 6 §4, issue 8 §6).

One query builds the journal's lines joined with their transaction and merchant organisation,
narrowed by a :class:`JournalFilter`: period; account, exact or a ``prefix:*`` such as
``merchant_payable:*``; kind; merchant; reference (a sale's order id also finds its refunds).
The CSV/JSON Lines export streams it (:mod:`.reports`) in posting order, the console pages it
by keyset on (occurred at, transaction id, line id)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Organization
from marketplace.db import db
from marketplace.errors import ValidationFailed
from marketplace.http import decode_cursor, encode_cursor
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind

T, L = JournalTransaction, JournalLine
_SALE = aliased(JournalTransaction)
ORDER = (T.occurred_at, T.id, L.id)  # posting order; ids break ties
COLUMNS = ("transaction_id", "kind", "reference", "day", "occurred_at", "merchant_org_id",
           "related_id", "fee_schedule_id", "account", "currency", "debit_fen", "credit_fen",
           "merchant_name")


@dataclass(frozen=True)
class JournalFilter:
    start: date | None = None
    end: date | None = None
    account: str | None = None
    kind: TransactionKind | None = None
    merchant_org_id: str | None = None
    reference: str | None = None


def where(query: Select[Any], f: JournalFilter) -> Select[Any]:
    conditions = []
    if f.start is not None:
        conditions.append(T.day >= f.start)
    if f.end is not None:
        conditions.append(T.day <= f.end)
    if f.account:
        conditions.append(L.account.startswith(f.account[:-1], autoescape=True)
                          if f.account.endswith(":*") else L.account == f.account)
    if f.kind is not None:
        conditions.append(T.kind == f.kind)
    if f.merchant_org_id:
        conditions.append(T.merchant_org_id == f.merchant_org_id)
    if f.reference:  # the posting with that reference, and the refunds of that sale
        sales = select(_SALE.id).where(_SALE.reference == f.reference)
        conditions.append(or_(T.reference == f.reference, T.related_id.in_(sales)))
    return query.where(*conditions) if conditions else query


def _lines(f: JournalFilter) -> Select[Any]:
    return where(select(T.id, T.kind, T.reference, T.day, T.occurred_at, T.merchant_org_id,
                         T.related_id, T.fee_schedule_id, L.account, L.currency, L.debit_fen,
                         L.credit_fen, Organization.name, L.id)
                  .join(L, L.transaction_id == T.id)
                  .join(Organization, Organization.id == T.merchant_org_id), f)


def _row(row: Any) -> dict[str, Any]:
    values = dict(zip(COLUMNS, row[:-1], strict=True))
    values["kind"] = values["kind"].value
    values["day"] = values["day"].isoformat()
    values["occurred_at"] = values["occurred_at"].isoformat()
    return values


def rows(f: JournalFilter) -> Iterator[dict[str, Any]]:
    """Every matching line in posting order, streamed in batches."""
    for row in db.session.execute(_lines(f).order_by(*ORDER)
                                  .execution_options(yield_per=1000)):
        yield _row(row)


def _after(cursor: str | None) -> tuple[datetime, str, int] | None:
    raw = decode_cursor(cursor)
    if raw is None:
        return None
    try:
        when, txn, line = raw.split("|")
        return datetime.fromisoformat(when), txn, int(line)
    except ValueError as exc:
        raise ValidationFailed(errors={"cursor": ["Invalid cursor."]}) from exc


def page(f: JournalFilter, cursor: str | None,
         limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of matching lines and the cursor of the next (None on the last page)."""
    query = _lines(f)
    after = _after(cursor)
    if after is not None:
        when, txn, line = after
        query = query.where(or_(T.occurred_at > when, and_(T.occurred_at == when, or_(
            T.id > txn, and_(T.id == txn, L.id > line)))))
    found = list(db.session.execute(query.order_by(*ORDER).limit(limit + 1)))
    more, found = len(found) > limit, found[:limit]
    last = found[-1] if found else None
    following = encode_cursor(f"{last[4].isoformat()}|{last[0]}|{last[-1]}") \
        if more and last else None
    return [_row(row) for row in found], following


def totals(f: JournalFilter) -> list[dict[str, Any]]:
    """Per currency: how many lines match, and their debits and credits."""
    query = where(select(L.currency, func.count(L.id), func.coalesce(func.sum(L.debit_fen), 0),
                          func.coalesce(func.sum(L.credit_fen), 0))
                   .join(T, T.id == L.transaction_id), f)
    return [{"currency": cur, "lines": int(n), "debits_fen": int(d), "credits_fen": int(c)}
            for cur, n, d, c in db.session.execute(query.group_by(L.currency)
                                                   .order_by(L.currency))]


def merchants() -> list[tuple[str, str]]:
    """(organisation id, name) of every merchant that has a posting, by name."""
    return [(org_id, name) for org_id, name in db.session.execute(
        select(Organization.id, Organization.name).where(
            Organization.id.in_(select(T.merchant_org_id).distinct())).order_by(
            Organization.name, Organization.id))]
