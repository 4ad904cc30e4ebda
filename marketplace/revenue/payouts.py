"""Merchant payouts as recorded bank transfers (issue 6 §3): ``POST /revenue/payouts`` and
``GET /revenue/payouts``.

An operator admin records a transfer already made to a merchant's bank account. In one
transaction: :func:`~.journal.post_payout` moves the amount from the merchant's payable to
``payouts`` (refused with 409 and ``payable_fen`` when it would take the payable below zero),
the payout row is stored and ``revenue.payout.recorded`` is appended to the ledger (last, after
the journal's lock). The ``Idempotency-Key`` header is required: the same key and body replay the
payout, another body is 409 — two clicks never pay twice. The payout then shows in the
merchant's statement (``payouts_fen``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger.canonical import dumps_canonical
from marketplace.accounts.models import OrgKind, OrgStatus, Role
from marketplace.auth import Principal
from marketplace.authz import MERCHANT_ROLES, authorize
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.http import id_page
from marketplace.ids import new_id
from marketplace.ledger_api import services as ledger
from marketplace.orders.ordering import HEADER, check_key
from marketplace.revenue.billing_models import Payout
from marketplace.revenue.journal import PayoutExceedsPayable, post_payout

KIND = "revenue.payout.recorded"


def _fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(dumps_canonical(data)).hexdigest()


def _replay(key: str, fingerprint: str) -> Payout | None:
    earlier = db.session.scalar(select(Payout).where(Payout.idempotency_key == key))
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise Conflict(f"This {HEADER} was already used for a different payout.",
                       payout_id=earlier.id)
    return earlier


def record(principal: Principal | None, key: str | None,
           data: dict[str, Any]) -> tuple[Payout, bool]:
    """Record (or replay) a payout; returns it and whether it is a replay. Commits."""
    p = authorize(principal, "revenue.payout.write")
    key = check_key(key)
    fingerprint = _fingerprint(data)
    earlier = _replay(key, fingerprint)
    if earlier is not None:
        return earlier, True
    operator_org = next(m.org_id for m in p.memberships if m.org_kind is OrgKind.operator
                        and m.org_status is OrgStatus.approved and m.role is Role.operator_admin)
    payout_id, now = new_id("pyo"), utcnow()
    try:
        txn = post_payout(reference=payout_id, merchant_org_id=data["merchant_org_id"],
                          amount_fen=data["amount_fen"], currency=data["currency"],
                          occurred_at=now, memo=f"bank transfer {data['bank_reference']}")
    except PayoutExceedsPayable:  # perhaps because the same key won a race: replay it
        db.session.rollback()
        earlier = _replay(key, fingerprint)
        if earlier is None:
            raise
        return earlier, True
    index = ledger.record(KIND, f"payout:{payout_id}", p, operator_org, {
        "payout_id": payout_id, "merchant_org_id": data["merchant_org_id"],
        "amount_fen": data["amount_fen"], "currency": data["currency"],
        "bank_reference": data["bank_reference"], "journal_transaction_id": txn.id})
    row = Payout(id=payout_id, merchant_org_id=data["merchant_org_id"],
                 amount_fen=data["amount_fen"], currency=data["currency"],
                 bank_reference=data["bank_reference"], idempotency_key=key,
                 request_fingerprint=fingerprint, journal_transaction_id=txn.id,
                 ledger_index=index, created_by=p.user_id, created_at=now)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # the same key, concurrently: the first one stands
        db.session.rollback()
        earlier = _replay(key, fingerprint)
        if earlier is None:
            raise
        return earlier, True
    return row, False


def listing(principal: Principal | None, org_id: str | None, cursor: str | None,
            limit: int) -> tuple[list[Payout], str | None]:
    """Operator staff: every payout (or one merchant's); a merchant's members: their own
    organisations'. Id order, cursor-paginated."""
    p = authorize(principal, "revenue.payout.list", org_id)
    query = select(Payout)
    if org_id is not None:
        query = query.where(Payout.merchant_org_id == org_id)
    elif not p.is_operator_staff():
        query = query.where(Payout.merchant_org_id.in_(p.approved_orgs(*MERCHANT_ROLES)))
    return id_page(query, Payout.id, cursor, limit)


def document(row: Payout) -> dict[str, Any]:
    return {"id": row.id, "merchant_org_id": row.merchant_org_id, "amount_fen": row.amount_fen,
            "currency": row.currency, "bank_reference": row.bank_reference,
            "journal_transaction_id": row.journal_transaction_id,
            "ledger_index": row.ledger_index, "created_by": row.created_by,
            "created_at": row.created_at.isoformat()}
