"""Invoice lists the console shows (issue 8 §3, §5) over the tables of :mod:`.billing`.

The API reads invoices a page at a time (``GET /revenue/invoices``) for every reader. The
console adds two views: the buyer's own invoices — those of the organisations the person belongs
to as the *buying* party, newest period first, each with its data element's title and payment
attempts — and one billing period's invoices with per-currency totals for operator staff.
A single invoice is read through :func:`.billing.get` (404 for those who may not read it); the
buyer console also answers 404 for an invoice another organisation owes (a merchant's member
reads those in the API, never in the buyer console).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from marketplace.auth import Principal
from marketplace.authz import authorize
from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.listings.models import Listing
from marketplace.orders.models import Agreement
from marketplace.revenue import billing, invoicing
from marketplace.revenue.billing_models import Invoice, InvoiceAttempt

PERIOD_ROWS = 500  # rows the operator's period page lists (the totals count every invoice)


@dataclass(frozen=True)
class InvoiceLine:
    invoice: Invoice
    title: str  # the listing's title (the data element bought)


@dataclass(frozen=True)
class BuyerInvoice:
    invoice: Invoice
    title: str
    attempts: list[InvoiceAttempt]  # oldest first


@dataclass(frozen=True)
class Total:
    currency: str
    status: str
    count: int
    amount_fen: int


@dataclass(frozen=True)
class PeriodInvoices:
    period: str
    invoices: list[Invoice]  # id order, at most PERIOD_ROWS
    totals: list[Total]  # per (currency, status), over every invoice of the period
    count: int


def _titled() -> Select[tuple[Invoice, str]]:
    """Invoices with the title of the listing their agreement was bought from."""
    return select(Invoice, Listing.title) \
        .join(Agreement, Agreement.id == Invoice.agreement_id) \
        .join(Listing, Listing.id == Agreement.listing_id)


def buyer_invoices(principal: Principal | None, limit: int = 100) -> list[InvoiceLine]:
    """Invoices the caller's organisations owe, newest period first."""
    p = authorize(principal, "revenue.invoice.list")
    mine = [m.org_id for m in p.memberships]
    if not mine:
        return []
    rows = db.session.execute(_titled().where(Invoice.buyer_org_id.in_(mine))
                              .order_by(Invoice.period.desc(), Invoice.id).limit(limit))
    return [InvoiceLine(inv, title) for inv, title in rows]


def owed_invoice(principal: Principal | None, invoice_id: str) -> Invoice:
    """The invoice if the caller's organisation owes it; else 404."""
    invoice = billing.get(principal, invoice_id)
    assert principal is not None  # billing.get authorised it
    if not principal.member_of(invoice.buyer_org_id):
        raise NotFound("No such invoice.")
    return invoice


def buyer_invoice(principal: Principal | None, invoice_id: str) -> BuyerInvoice:
    """One invoice the caller's organisation owes, with its payment attempts; else 404."""
    invoice = owed_invoice(principal, invoice_id)
    title = db.session.execute(
        select(Listing.title).join(Agreement, Agreement.listing_id == Listing.id)
        .where(Agreement.id == invoice.agreement_id)).scalar_one()
    attempts = list(db.session.scalars(select(InvoiceAttempt).where(
        InvoiceAttempt.invoice_id == invoice.id).order_by(InvoiceAttempt.created_at,
                                                         InvoiceAttempt.id)))
    return BuyerInvoice(invoice, title, attempts)


def period_invoices(principal: Principal | None, period: str) -> PeriodInvoices:
    """Operator staff: ``period``'s invoices (422 for a period that is not ``YYYY-MM``)."""
    authorize(principal, "revenue.read")
    invoicing.period_bounds(period)
    rows = list(db.session.scalars(select(Invoice).where(Invoice.period == period)
                                   .order_by(Invoice.id).limit(PERIOD_ROWS)))
    grouped = db.session.execute(
        select(Invoice.currency, Invoice.status, func.count(), func.sum(Invoice.amount_fen))
        .where(Invoice.period == period).group_by(Invoice.currency, Invoice.status)
        .order_by(Invoice.currency, Invoice.status))
    totals = [Total(currency, status.value, int(n), int(amount or 0))
              for currency, status, n, amount in grouped]
    return PeriodInvoices(period, rows, totals, sum(t.count for t in totals))
