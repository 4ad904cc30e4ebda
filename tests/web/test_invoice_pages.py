"""Metered-usage invoices in the console (issue 8 §3, §5; issue 6 §3) through Flask's test
client: the buyer sees only their organisation's invoices with what the API's invoice shows,
pays a due one with the test card — the sale posted once, as ``POST /revenue/invoices/{id}/pay``
posts it — however often the same form is submitted; a declined card is 402 and leaves it due;
other organisations get 404. The operator runs a billing period from the page: each invoice is
created once, a bad period is refused with a message and writes nothing."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.revenue.billing_models import Invoice, InvoiceAttempt
from tests.api import billing_world
from tests.api.world import World, build_world
from tests.web.console import Console, console_for
from tests.web.invoice_world import SINCE, due_invoice, fresh_period, pay_form, sales

GOOD, DECLINED = "pm_card_visa", "pm_card_visa_chargeDeclined"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> Any:
    """One app and world for the module (each test makes invoices in months of its own)."""
    from tests.conftest import template_app

    app = template_app(tmp_path_factory, sqlite_template, "invoice-pages")
    return app, build_world(app)


@pytest.fixture
def app(shared: Any) -> Any:
    return shared[0]


@pytest.fixture
def world(shared: Any) -> World:
    return shared[1]


def as_(world: World, name: str, lang: str = "en") -> Console:
    return console_for(world.app, world[name].email, lang)


def _text(html: str, element_id: str) -> str:
    """The text inside the element with ``element_id`` (tags stripped, spaces collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, element_id
    inner = html[match.end():html.index(f"</{match.group(1)}>", match.end())]
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", inner).split()))


def _count(world: World, model: Any, *where: Any) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _provider_attempts(world: World, intent_id: str) -> int:
    """Attempts the (fake) provider was asked to confirm on the invoice's PaymentIntent."""
    fake = world.app.extensions["elx.payments"]
    return sum(1 for state in fake.invoice_attempts.values() if state.intent_id == intent_id)


def _api(world: World, invoice_id: str) -> dict[str, Any]:
    return world.ok("GET", f"/revenue/invoices/{invoice_id}", world["buyer"])


# --- buyer --------------------------------------------------------------------------------


def test_the_list_shows_only_the_organisations_own_invoices(world: World) -> None:
    mine, theirs = due_invoice(world), due_invoice(world, actor="rival_buyer")
    html = as_(world, "buyer").get("/buyer/invoices").get_data(as_text=True)
    assert f'data-invoice="{mine["id"]}"' in html and theirs["id"] not in html
    row = html[html.index(f'data-invoice="{mine["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert mine["period"] in row and "¥12.00" in row and 'data-state="due"' in row
    assert f'href="/buyer/invoices/{mine["id"]}"' in row
    assert 'href="/buyer/invoices" aria-current="page"' in html  # the buyer's sub-navigation
    rival = as_(world, "rival_buyer").get("/buyer/invoices").get_data(as_text=True)
    assert theirs["id"] in rival and mine["id"] not in rival


def test_the_invoice_page_shows_what_the_api_shows(world: World) -> None:
    invoice = due_invoice(world)
    page = f"/buyer/invoices/{invoice['id']}"
    buyer = as_(world, "buyer")
    html = buyer.get(page).get_data(as_text=True)
    assert (invoice["units_used"], invoice["included_quota"], invoice["billable_units"],
            invoice["unit_price_fen"], invoice["amount_fen"]) == (340, 100, 240, 5, 1_200)
    assert (_text(html, "units-used"), _text(html, "included-quota"),
            _text(html, "billable-units"), _text(html, "unit-price"),
            _text(html, "invoice-amount")) == ("340 API calls", "100", "240", "¥0.05", "¥12.00")
    assert invoice["period"] in _text(html, "invoice-period")
    assert 'data-state="due"' in _text_html(html, "invoice-state")
    assert '<select id="card" name="payment_method">' in html and GOOD in html
    again = buyer.get(page).get_data(as_text=True)
    assert pay_form(html)["idempotency_key"] != pay_form(again)["idempotency_key"]


def _text_html(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</dd>", start)]


def _pay(buyer: Console, page: str, method: str, fields: dict[str, str] | None = None) -> Any:
    """Submit the pay form rendered at ``page`` (or the given hidden fields) with ``method``."""
    form = fields or pay_form(buyer.get(page).get_data(as_text=True))
    return buyer.client.post(f"{page}/pay", data={**form, "payment_method": method})


def test_paying_with_the_test_card_posts_the_sale_once(world: World) -> None:
    invoice = due_invoice(world)
    page, buyer = f"/buyer/invoices/{invoice['id']}", as_(world, "buyer")
    fields = pay_form(buyer.get(page).get_data(as_text=True))
    paid = _pay(buyer, page, GOOD, fields)
    assert paid.status_code == 303 and paid.headers["Location"] == page
    body = _api(world, invoice["id"])
    assert body["status"] == "paid" and body["journal_transaction_id"] and body["paid_at"]
    assert sales(world, invoice["id"]) == 1
    # The ledger side is what the API path produces (tests/api/test_invoice_pay.py).
    sale = next(t for t in world.ok("GET", "/revenue/journal?limit=200",
                                    world["auditor"])["items"]
                if t["kind"] == "sale" and t["reference"] == invoice["id"])
    assert sale["id"] == body["journal_transaction_id"]
    assert sum(line["credit_fen"] for line in sale["lines"]) == 1_200
    report = world.ok("GET", "/revenue/reconciliation", world["auditor"])
    assert report["exceptions"] == []
    assert world.ok("GET", "/revenue/trial-balance", world["auditor"])["balanced"] is True
    after = buyer.get(page).get_data(as_text=True)
    assert 'data-state="paid"' in after and 'id="pay-form"' not in after
    assert body["journal_transaction_id"] in _text(after, "journal-transaction")
    assert 'data-attempt="succeeded"' in after
    # The same form again (a double submit): replayed, nothing charged twice.
    replay = _pay(buyer, page, GOOD, fields)
    assert replay.status_code == 303 and replay.headers["Location"] == page
    assert sales(world, invoice["id"]) == 1
    assert _count(world, InvoiceAttempt, InvoiceAttempt.invoice_id == invoice["id"]) == 1
    assert _provider_attempts(world, invoice["payment_intent_id"]) == 1
    # A fresh form (another key) finds nothing due: 409 on the page.
    fresh = {**fields, "idempotency_key": "web-another-tab"}
    conflict = _pay(buyer, page, GOOD, fresh)
    assert conflict.status_code == 409
    assert "already paid" in _text(conflict.get_data(as_text=True), "payment-message")
    assert sales(world, invoice["id"]) == 1 and _api(world, invoice["id"])["status"] == "paid"


def test_a_declined_card_is_402_and_leaves_the_invoice_due(world: World) -> None:
    invoice = due_invoice(world)
    page, buyer = f"/buyer/invoices/{invoice['id']}", as_(world, "buyer")
    fields = pay_form(buyer.get(page).get_data(as_text=True))
    declined = _pay(buyer, page, DECLINED, fields)
    assert declined.status_code == 402
    html = declined.get_data(as_text=True)
    assert "The card was declined (generic_decline)" in _text(html, "payment-message")
    assert 'id="pay"' in html and pay_form(html)["idempotency_key"] != \
        fields["idempotency_key"]  # a fresh form to try another card
    assert 'data-attempt="failed"' in html and "generic_decline" in _text(html, "attempts")
    assert _api(world, invoice["id"])["status"] == "due" and sales(world, invoice["id"]) == 0
    # The declined form sent again replays the decline; the provider is not asked again.
    assert _pay(buyer, page, DECLINED, fields).status_code == 402
    assert _provider_attempts(world, invoice["payment_intent_id"]) == 1
    # The old form with another card: explained, nothing charged.
    reused = _pay(buyer, page, GOOD, fields)
    assert reused.status_code == 422
    assert "already sent with another card" in _text(reused.get_data(as_text=True),
                                                      "payment-message")
    assert _api(world, invoice["id"])["status"] == "due"
    ok = _pay(buyer, page, GOOD, pay_form(html))  # the re-rendered form
    assert ok.status_code == 303 and _api(world, invoice["id"])["status"] == "paid"
    assert sales(world, invoice["id"]) == 1


def test_the_decline_message_is_chinese_in_the_chinese_console(world: World) -> None:
    invoice = due_invoice(world)
    page, buyer = f"/buyer/invoices/{invoice['id']}", as_(world, "buyer", lang="zh")
    html = buyer.get(page).get_data(as_text=True)
    assert "账单" in html and "待支付" in _text(html, "invoice-state")
    declined = _pay(buyer, page, DECLINED)
    assert declined.status_code == 402
    assert "银行卡被拒" in _text(declined.get_data(as_text=True), "payment-message")


def test_a_zero_invoice_has_nothing_to_pay(world: World) -> None:
    period, day = fresh_period()
    license_id = billing_world.metered_license(world, since=SINCE)
    billing_world.use(world, license_id, day, 40)  # within the quota
    assert billing_world.run(world, period).status_code == 200
    items = world.ok("GET", f"/revenue/invoices?period={period}", world["buyer"])["items"]
    [zero] = [i for i in items if i["agreement_id"] == license_id]
    page, buyer = f"/buyer/invoices/{zero['id']}", as_(world, "buyer")
    html = buyer.get(page).get_data(as_text=True)
    assert 'id="pay-form"' not in html and 'id="nothing-due"' in html
    refused = buyer.client.post(f"{page}/pay", data={
        "csrf_token": re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1),
        "idempotency_key": "web-zero", "payment_method": GOOD})
    assert refused.status_code == 409
    assert "within the included quota" in _text(refused.get_data(as_text=True),
                                                "payment-message")
    assert _count(world, InvoiceAttempt, InvoiceAttempt.invoice_id == zero["id"]) == 0


def test_other_organisations_get_404_and_non_buyers_403(world: World) -> None:
    invoice = due_invoice(world)
    page = f"/buyer/invoices/{invoice['id']}"
    rival = as_(world, "rival_buyer")
    assert rival.get(page).status_code == 404
    paid = rival.post(f"{page}/pay", {"payment_method": GOOD, "idempotency_key": "web-x"},
                      page="/buyer/invoices")
    assert paid.status_code == 404
    assert rival.get("/buyer/invoices/inv_nosuchinvoice000").status_code == 404
    merchant = as_(world, "merchant")  # reads the invoice in the API, is no buyer
    assert merchant.get(page).status_code == 403
    assert merchant.post(f"{page}/pay", {"payment_method": GOOD, "idempotency_key": "web-y"},
                         page="/console").status_code == 403
    assert _api(world, invoice["id"])["status"] == "due" and sales(world, invoice["id"]) == 0
    assert _count(world, InvoiceAttempt, InvoiceAttempt.invoice_id == invoice["id"]) == 0


# --- operator -----------------------------------------------------------------------------


def _period_ids(world: World, period: str) -> set[str]:
    items = world.ok("GET", f"/revenue/invoices?period={period}&limit=200", world["auditor"])
    return {i["id"] for i in items["items"]}


def _intents(world: World) -> int:
    fake = world.app.extensions["elx.payments"]
    return sum(1 for i in fake.intents.values() if i.invoice_id)


def test_the_operator_runs_a_period_once(world: World) -> None:
    period, day = fresh_period()
    busy = billing_world.metered_license(world, since=SINCE)
    billing_world.use(world, busy, day, 300)  # 200 billable × 5 fen
    operator = as_(world, "operator")
    form = operator.get("/operator/invoices").get_data(as_text=True)
    assert 'id="run-invoices"' in form
    before = _count(world, Invoice)
    ran = operator.post("/operator/invoices/run", {"period": period}, page="/operator/invoices")
    assert ran.status_code == 303
    created = _count(world, Invoice) - before
    ids = _period_ids(world, period)
    assert created == len(ids) >= 1
    page = operator.get(ran.headers["Location"]).get_data(as_text=True)
    assert f"{period} run: {created} invoices created, 0 already existed" in \
        _text(page, "run-result")
    assert "of the new ones 1 are due" in _text(page, "run-result")
    assert {m for m in re.findall(r'<tr id="invoice-(inv_[^"]+)"', page)} == ids
    [due] = [i for i in world.ok("GET", f"/revenue/invoices?period={period}",
                                 world["auditor"])["items"] if i["agreement_id"] == busy]
    row = page[page.index(f'id="invoice-{due["id"]}"'):]
    assert "¥10.00" in row[:row.index("</tr>")] and 'data-state="due"' in row
    totals = page[page.index('id="invoice-totals"'):page.index('id="invoices"')]
    assert re.search(r'data-status="due">.*?<td class="num">1</td><td class="num">¥10.00',
                     totals, re.S)
    intents = _intents(world)
    again = operator.post("/operator/invoices/run", {"period": period},
                          page="/operator/invoices")
    assert again.status_code == 303
    repeat = _text(operator.get(again.headers["Location"]).get_data(as_text=True), "run-result")
    assert f"0 invoices created, {created} already existed" in repeat
    assert "0 payments opened" in repeat
    assert _count(world, Invoice) == before + created and _period_ids(world, period) == ids
    assert _intents(world) == intents
    api = billing_world.run(world, period).get_json()  # the API agrees: nothing new
    assert (api["created"], api["existing"]) == (0, created)


@pytest.mark.parametrize(("period", "message"), [
    ("2024-13", "Enter a month as YYYY-MM"),
    ("24-01", "Enter a month as YYYY-MM"),
    ("1969-12", "Enter a month as YYYY-MM"),
    ("", "Enter a month as YYYY-MM"),
    ("2024-01'; DROP TABLE revenue_invoices; --", "Enter a month as YYYY-MM"),
    ("２０２４-01", "Enter a month as YYYY-MM"),  # fullwidth digits are no period
    ("this-month", "has not ended yet"),
])
def test_a_bad_period_is_refused_and_nothing_is_written(world: World, period: str,
                                                       message: str) -> None:
    period = utcnow().strftime("%Y-%m") if period == "this-month" else period
    operator, before, intents = as_(world, "operator"), _count(world, Invoice), _intents(world)
    refused = operator.post("/operator/invoices/run", {"period": period},
                            page="/operator/invoices")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in _text(html, "run-period-err") and 'id="run-result"' not in html
    assert _count(world, Invoice) == before and _intents(world) == intents


def test_a_bad_period_to_show_is_a_message(world: World) -> None:
    shown = as_(world, "auditor").get("/operator/invoices?period=2024-1")
    assert shown.status_code == 422
    html = shown.get_data(as_text=True)
    assert "Enter a month as YYYY-MM" in _text(html, "show-period-err")
    assert 'id="invoices"' not in html


def test_a_crafted_result_link_announces_nothing(world: World) -> None:
    html = as_(world, "operator").get(
        "/operator/invoices?period=2020-02&created=<b>9</b>&existing=0&due=0&zero=0&opened=0"
    ).get_data(as_text=True)
    assert 'id="run-result"' not in html


def test_the_auditor_reads_but_cannot_run(world: World) -> None:
    period, day = fresh_period()
    billing_world.use(world, billing_world.metered_license(world, since=SINCE), day, 500)
    auditor, before = as_(world, "auditor"), _count(world, Invoice)
    page = auditor.get(f"/operator/invoices?period={period}")
    assert page.status_code == 200 and 'id="run-form"' not in page.get_data(as_text=True)
    assert auditor.post("/operator/invoices/run", {"period": period},
                        page="/operator/invoices").status_code == 403
    assert auditor.post("/operator/invoices/run", {"period": "bad"},
                        page="/operator/invoices").status_code == 403
    assert _count(world, Invoice) == before
