"""The buyer console (issue 8 §3) through Flask's test client: ordering through the form (terms
in Chinese and English, one order per rendered form however often it is submitted), checkout
with the fake gateway's test cards, API keys shown once, the sandbox editor's answer and
receipt (the same numbers as the service's), hostile SQL refused, and other buyers kept out."""

from __future__ import annotations

import re
from base64 import b64decode
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from contracts import policy_to_dict, template
from ledger.merkle import leaf_hash
from marketplace.access.models import PrivacyBudget
from marketplace.access.usage import count_quota
from marketplace.db import db
from marketplace.orders.models import Agreement, Order
from tests.api import access_world
from tests.api.order_world import terms
from tests.api.world import build_world
from tests.web.buyer_world import market, order_form, order_id_of, place
from tests.web.console import console_for

GROUPED = "SELECT 区县, count(*) AS n FROM element GROUP BY 区县"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> Any:
    """One app and world for the module (each test makes its own orders and licenses)."""
    from tests.conftest import template_app

    app = template_app(tmp_path_factory, sqlite_template, "buyer-pages")
    return app, build_world(app)


@pytest.fixture
def app(shared: Any) -> Any:
    return shared[0]


@pytest.fixture
def world(shared: Any) -> Any:
    return shared[1]


@pytest.fixture
def buyer(app: Any, world: Any) -> Any:
    return console_for(app, world["buyer"].email)


def _orders(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def _agreement(app: Any, order_id: str) -> Agreement:
    with app.app_context():
        return db.session.scalars(select(Agreement).where(Agreement.order_id == order_id)).one()


def _text(html: str, element_id: str) -> str:
    """The text inside the element with ``element_id`` (tags stripped, spaces collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, element_id
    inner = html[match.end():html.index(f"</{match.group(1)}>", match.end())]
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


def test_order_form_shows_the_exact_terms_in_both_languages(world: Any, buyer: Any) -> None:
    m = market(world)
    expected = terms(world, m["listing"]["id"], m["one_off"])
    html = buyer.get(f"/buyer/orders/new?listing={m['listing']['id']}&plan={m['one_off']}") \
        .get_data(as_text=True)
    assert order_form(html)["accepted_terms_hash"] == expected["terms_hash"]
    assert expected["terms_hash"] in html
    for lang, marker in (("zh", 'lang="zh-CN"'), ("en", 'lang="en"')):
        first_line = expected["contract_text"][lang].splitlines()[0]
        assert first_line and first_line in html and marker in html
    assert "¥500.00" in _text(html, "amount-due")
    again = buyer.get(f"/buyer/orders/new?listing={m['listing']['id']}&plan={m['one_off']}")
    assert order_form(again.get_data(as_text=True))["idempotency_key"] != \
        order_form(html)["idempotency_key"]  # a fresh key per rendered form


def test_double_submit_of_one_form_places_one_order(app: Any, world: Any, buyer: Any) -> None:
    m = market(world)
    page = f"/buyer/orders/new?listing={m['listing']['id']}&plan={m['one_off']}"
    fields = {**order_form(buyer.get(page).get_data(as_text=True)), "accept": "yes"}
    before = _orders(app)
    first = buyer.client.post("/buyer/orders", data=fields)
    second = buyer.client.post("/buyer/orders", data=fields)
    assert order_id_of(first) == order_id_of(second)
    assert _orders(app) == before + 1
    detail = buyer.get(first.headers["Location"]).get_data(as_text=True)
    assert 'data-state="awaiting_payment"' in detail and 'id="pay"' in detail
    listing = buyer.get("/buyer/orders").get_data(as_text=True)
    assert order_id_of(first) in listing


def test_the_terms_must_be_accepted(app: Any, world: Any, buyer: Any) -> None:
    m = market(world)
    before = _orders(app)
    refused = place(buyer, m["listing"]["id"], m["one_off"], accept=False)
    assert refused.status_code == 422
    assert "accept the terms" in refused.get_data(as_text=True)
    assert _orders(app) == before


def test_a_stale_terms_hash_is_refused_with_the_current_terms(app: Any, world: Any,
                                                              buyer: Any) -> None:
    m = market(world)
    page = f"/buyer/orders/new?listing={m['listing']['id']}&plan={m['one_off']}"
    fields = {**order_form(buyer.get(page).get_data(as_text=True)), "accept": "yes",
              "accepted_terms_hash": "0" * 64}
    refused = buyer.client.post("/buyer/orders", data=fields)
    assert refused.status_code == 409
    assert "The terms changed" in refused.get_data(as_text=True)
    assert 'id="order-form"' in refused.get_data(as_text=True)  # shown again to accept


def test_paying_with_the_test_card_activates_the_license(app: Any, world: Any,
                                                        buyer: Any) -> None:
    m = market(world)
    order_id = order_id_of(place(buyer, m["listing"]["id"], m["one_off"]))
    page = f"/buyer/orders/{order_id}"
    html = buyer.get(page).get_data(as_text=True)
    assert '<select id="card" name="payment_method">' in html and "pm_card_visa" in html
    paid = buyer.post(f"{page}/pay", {"payment_method": "pm_card_visa"}, page=page)
    assert paid.status_code == 303 and paid.headers["Location"] == page
    after = buyer.get(page).get_data(as_text=True)
    assert 'data-state="paid"' in after and 'data-state="active"' in after
    assert 'id="open-sandbox"' in after and 'id="pay"' not in after
    assert _agreement(app, order_id).state.value == "active"
    again = buyer.post(f"{page}/pay", {"payment_method": "pm_card_visa"}, page=page)
    assert again.status_code == 409  # nothing is due any more


def test_a_declined_card_is_explained_and_another_card_works(app: Any, world: Any,
                                                             buyer: Any) -> None:
    m = market(world)
    order_id = order_id_of(place(buyer, m["listing"]["id"], m["one_off"]))
    page = f"/buyer/orders/{order_id}"
    declined = buyer.post(f"{page}/pay", {"payment_method": "pm_card_visa_chargeDeclined"},
                          page=page)
    assert declined.status_code == 402
    html = declined.get_data(as_text=True)
    assert "The card was declined (generic_decline)" in _text(html, "payment-message")
    assert 'id="pay"' in html  # the buyer may try again
    assert _agreement(app, order_id).state.value == "pending_payment"
    assert "generic_decline" in _text(buyer.get(page).get_data(as_text=True),
                                      "last-payment-error")
    ok = buyer.post(f"{page}/pay", {"payment_method": "pm_card_visa"}, page=page)
    assert ok.status_code == 303
    assert _agreement(app, order_id).state.value == "active"


def test_an_api_key_is_shown_once_then_only_its_prefix(world: Any, buyer: Any) -> None:
    created = buyer.post("/buyer/api-keys", {"name": "报表程序"}, page="/buyer/api-keys")
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    secret = re.search(r'id="new-key-value" class="secret" readonly value="(elx_[^"]+)"', html)
    assert secret, html[:2000]
    key = secret.group(1)
    key_id = key.removeprefix("elx_").rsplit("_", 1)[0]
    assert world.call("GET", "/licenses", headers={"X-API-Key": key}).status_code == 200
    later = buyer.get("/buyer/api-keys").get_data(as_text=True)
    assert key not in later and key.rsplit("_", 1)[1] not in later
    assert f"elx_{key_id}_…" in later and "报表程序" in later
    revoked = buyer.post(f"/buyer/api-keys/{key_id}/revoke", page="/buyer/api-keys")
    assert revoked.status_code == 303
    assert world.call("GET", "/licenses", headers={"X-API-Key": key}).status_code == 401
    assert 'class="badge bad">Revoked' in buyer.get("/buyer/api-keys").get_data(as_text=True)


def test_api_key_form_shows_validation_messages(buyer: Any) -> None:
    refused = buyer.post("/buyer/api-keys", {"name": "x", "ttl_days": "99999"},
                         page="/buyer/api-keys")
    assert refused.status_code == 422
    assert 'id="ttl-days-errors"' in refused.get_data(as_text=True)


def _licensed(world: Any) -> str:
    m = market(world)
    return access_world.license_for(world, m["element_id"], max_calls=5)


def test_a_sandbox_answer_matches_the_service_and_carries_its_receipt(
        app: Any, world: Any, buyer: Any) -> None:
    license_id = _licensed(world)
    page = f"/buyer/licenses/{license_id}/sandbox"
    form = buyer.get(page).get_data(as_text=True)
    assert "GROUP BY" in form and 'id="run-query"' in form
    answer = buyer.post(page, {"sql": GROUPED}, page=page)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:1500]
    html = answer.get_data(as_text=True)
    assert (_text(html, "epsilon-spent"), _text(html, "epsilon-total"),
            _text(html, "epsilon-remaining")) == ("1", "1", "2")
    with app.app_context():
        wallet = db.session.get(PrivacyBudget, license_id)
        assert (wallet.spent_nano, wallet.limit_nano) == (10**9, 3 * 10**9)
    index = int(_text(html, "receipt-link").lstrip("#"))
    assert f'href="/ledger/entries/{index}"' in html
    receipt = world.ok("GET", f"/ledger/receipts/{index}")
    assert _text(html, "receipt-leaf") == leaf_hash(b64decode(receipt["entry"])).hex()
    # The same query through the API is the cached answer: the same rows and digest.
    api = world.ok("POST", f"/licenses/{license_id}/queries", world["buyer"],
                   json={"sql": GROUPED, "purpose": access_world.PURPOSE})
    assert api["cached"] and api["result_sha256"] == _text(html, "receipt-result")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html[html.index('id="result"'):
                                                       html.index('id="receipt"')])
    assert cells == [str(v) for row in api["rows"] for v in row]
    assert _text(html, "suppressed") == str(api["suppressed"])
    licence = buyer.get(f"/buyer/licenses/{license_id}").get_data(as_text=True)
    assert _text(licence, "quota") == "2 of 5 used, 3 remaining"  # page query + API query
    assert "1 of 3 spent, 2 remaining" in _text(licence, "epsilon")


@pytest.mark.parametrize(("sql", "status"), [
    ("SELECT * FROM read_csv('/etc/passwd')", 422),
    ("SELECT id FROM element", 422),
    ("", 422),
])
def test_hostile_sql_is_refused_with_a_message(app: Any, world: Any, buyer: Any, sql: str,
                                              status: int) -> None:
    license_id = _licensed(world)
    page = f"/buyer/licenses/{license_id}/sandbox"
    refused = buyer.post(page, {"sql": sql}, page=page)
    assert refused.status_code == status
    html = refused.get_data(as_text=True)
    message = _text(html, "query-message")
    assert "Validation failed" in message and "Traceback" not in html and "root:" not in html
    assert 'id="receipt"' not in html
    with app.app_context():
        assert db.session.get(PrivacyBudget, license_id) is None or \
            db.session.get(PrivacyBudget, license_id).spent_nano == 0


def test_a_used_up_quota_is_a_402_message(world: Any, buyer: Any) -> None:
    m = market(world)
    license_id = access_world.license_for(world, m["element_id"], max_calls=1)
    page = f"/buyer/licenses/{license_id}/sandbox"
    assert buyer.post(page, {"sql": GROUPED}, page=page).status_code == 200
    refused = buyer.post(page, {"sql": GROUPED}, page=page)
    assert refused.status_code == 402
    assert "quota is used up" in _text(refused.get_data(as_text=True), "query-message")


def test_a_revoked_license_is_a_403_message(world: Any, buyer: Any) -> None:
    license_id = _licensed(world)
    world.ok("POST", f"/licenses/{license_id}/revoke", world["operator"],
             json={"reason": "违约使用"})
    page = f"/buyer/licenses/{license_id}/sandbox"
    refused = buyer.post(page, {"sql": GROUPED}, page=page)
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert "does not permit this use" in _text(html, "query-message")
    assert 'data-state="revoked"' in html
    licence = buyer.get(f"/buyer/licenses/{license_id}").get_data(as_text=True)
    assert "Revoked: 违约使用" in licence and 'id="open-sandbox"' not in licence


def test_usage_page_counts_each_use_per_day(world: Any, buyer: Any) -> None:
    license_id = _licensed(world)
    page = f"/buyer/licenses/{license_id}/sandbox"
    for sql in (GROUPED, "SELECT count(*) AS n FROM element"):
        assert buyer.post(page, {"sql": sql}, page=page).status_code == 200
    html = buyer.get("/buyer/usage").get_data(as_text=True)
    row = html[html.index(f'data-license="{license_id}"'):]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row[:row.index("</tr>")])
    assert cells == ["2", "5", "3", "2", "1"]  # uses, quota, remaining, ε spent, ε left
    assert "<svg" in html and 'class="usage-table"' in html
    licence = buyer.get(f"/buyer/licenses/{license_id}").get_data(as_text=True)
    table = licence[licence.index('class="usage-table"'):]
    today = datetime.now(UTC).date().isoformat()
    assert f'<tr><td>{today}</td><td class="num">0</td><td class="num">2</td></tr>' in table
    assert "Sandbox queries" in licence and "<svg" in licence


def test_other_buyers_and_non_buyers_are_kept_out(app: Any, world: Any, buyer: Any) -> None:
    m = market(world)
    order_id = order_id_of(place(buyer, m["listing"]["id"], m["one_off"]))
    license_id = _agreement(app, order_id).id
    rival = console_for(app, world["rival_buyer"].email)
    for path in (f"/buyer/orders/{order_id}", f"/buyer/licenses/{license_id}",
                 f"/buyer/licenses/{license_id}/sandbox"):
        assert rival.get(path).status_code == 404, path
    paid = rival.post(f"/buyer/orders/{order_id}/pay", {"payment_method": "pm_card_visa"},
                      page="/buyer/orders")
    assert paid.status_code == 404
    assert _agreement(app, order_id).state.value == "pending_payment"
    assert order_id not in rival.get("/buyer/orders").get_data(as_text=True)
    merchant = console_for(app, world["merchant"].email)
    assert merchant.get("/buyer/orders").status_code == 403
    assert console_for(app).get("/buyer/orders").status_code == 302


@given(st.integers(min_value=1, max_value=10**6))
def test_count_quota_reads_the_templates_max_calls(n: int) -> None:
    for template_id in ("internal-analytics", "api-integration", "research-only"):
        assert count_quota(policy_to_dict(template(template_id, max_calls=n))) == n
    assert count_quota(policy_to_dict(template("internal-analytics"))) is None
