"""Builders for the invoice console tests (issue 8 §3, §5; issue 6 §3): due invoices of a
metered license in a month of their own, made with tests/api/billing_world.py's helpers (usage
rows where the records API writes them, the operator's run through the API); the pay form's
hidden fields; and the console path of the buyer's invoice for tests/web/test_web_routes.py."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from marketplace.db import db
from marketplace.revenue.models import JournalTransaction, TransactionKind
from tests.api import billing_world
from tests.api.world import World

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
_months = itertools.count()
SINCE = datetime(1970, 1, 1, tzinfo=UTC)


def fresh_period() -> tuple[str, datetime]:
    """A month no other invoice test of this process uses (1975 onwards) and a day in it."""
    n = next(_months)
    year, month = 1975 + n // 12, n % 12 + 1
    return f"{year}-{month:02d}", datetime(year, month, 9, tzinfo=UTC)


def due_invoice(world: World, calls: int = 340, actor: str = "buyer") -> dict[str, Any]:
    """A fresh due invoice of ``actor``'s organisation, as the API shows it: (calls − 100) × 5
    fen for api calls in a month of its own."""
    period, day = fresh_period()
    license_id = billing_world.metered_license(world, actor=actor, since=SINCE)
    billing_world.use(world, license_id, day, calls)
    assert billing_world.run(world, period).status_code == 200
    items = world.ok("GET", f"/revenue/invoices?period={period}&status=due", world[actor])
    [invoice] = [i for i in items["items"] if i["agreement_id"] == license_id]
    return invoice


def pay_form(html: str) -> dict[str, str]:
    """The hidden fields of the invoice's pay form (CSRF token, Idempotency-Key)."""
    start = html.index('id="pay-form"')
    return dict(_HIDDEN.findall(html[start:html.index("</form>", start)]))


def sales(world: World, reference: str) -> int:
    """Sale transactions in the journal for ``reference`` (an invoice id)."""
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(JournalTransaction).where(
            JournalTransaction.kind == TransactionKind.sale,
            JournalTransaction.reference == reference))


def invoice_path(world: World) -> str:
    """The buyer's due invoice of the authorisation matrix (one per world)."""
    return f"/buyer/invoices/{billing_world.invoice_path(world)['path']['invoice_id']}"
