"""Invoice services (issue 6 §3): the operator's run of a billing period, and reading invoices.

``run`` (an operator admin; the CLI ``revenue invoice-usage`` without a person) issues the
period's invoices (:mod:`.invoicing`) and opens a PaymentIntent for each due one
(:mod:`.invoice_payments`). Invoices are read by the buying organisation, the merchant and
operator staff; anyone else gets 404 for a single invoice and an empty list.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import or_, select

from marketplace.accounts.common import get_by_id
from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.clock import utcnow
from marketplace.errors import NotFound
from marketplace.http import id_page
from marketplace.revenue import invoice_payments, invoicing
from marketplace.revenue.billing_models import Invoice, InvoiceStatus


def run_period(period: str) -> dict[str, Any]:
    """Issue ``period``'s invoices and open payments for the due ones."""
    result = invoicing.issue(period, utcnow())
    return {**asdict(result), "payments_opened": invoice_payments.open_due()}


def run(principal: Principal | None, period: str) -> dict[str, Any]:
    authorize(principal, "revenue.invoice.run")
    return run_period(period)


def listing(principal: Principal | None, period: str | None, status: InvoiceStatus | None,
            cursor: str | None, limit: int) -> tuple[list[Invoice], str | None]:
    """The caller's organisations' invoices, as buyer or merchant (operator staff: all).
    Id order, cursor-paginated."""
    p = authorize(principal, "revenue.invoice.list")
    query = select(Invoice)
    if not p.is_operator_staff():
        mine = [m.org_id for m in p.memberships]
        query = query.where(or_(Invoice.buyer_org_id.in_(mine),
                                Invoice.merchant_org_id.in_(mine)))
    if period is not None:
        query = query.where(Invoice.period == period)
    if status is not None:
        query = query.where(Invoice.status == status)
    return id_page(query, Invoice.id, cursor, limit)


def get(principal: Principal | None, invoice_id: str) -> Invoice:
    p = authorize(principal, "element.lookup")
    invoice = get_by_id(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    authorize(p, "revenue.invoice.read", invoice)
    return invoice


def document(row: Invoice) -> dict[str, Any]:
    return {"id": row.id, "agreement_id": row.agreement_id, "period": row.period,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(), "buyer_org_id": row.buyer_org_id,
            "merchant_org_id": row.merchant_org_id, "currency": row.currency, "unit": row.unit,
            "units_used": row.units_used, "included_quota": row.included_quota,
            "billable_units": row.billable_units, "unit_price_fen": row.unit_price_fen,
            "amount_fen": row.amount_fen, "status": row.status.value,
            "payment_intent_id": row.intent_id,
            "journal_transaction_id": row.journal_transaction_id,
            "created_at": row.created_at.isoformat(),
            "paid_at": row.paid_at.isoformat() if row.paid_at else None}
