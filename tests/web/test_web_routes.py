"""Every console route is authorised like the API (issue 8 §7): a table names each GET page's
status for every kind of visitor (the test enumerates the app's ``url_map`` so no page is left
out); every state-changing route refuses a request without a CSRF token and sends anonymous
visitors to the sign-in page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.world import World, build_world
from tests.web import buyer_world  # buyer area
from tests.web import merchant_world as mw  # merchant area
from tests.web.console import console_for
from tests.web.invoice_world import invoice_path  # buyer invoices
from tests.web.ledger_world import entry_path  # ledger area
from tests.web.public_world import element_path  # public area
from tests.web.staff_world import valuation_path  # assessor and operator area

VISITORS = ["anonymous", "operator", "auditor", "merchant", "member", "rival", "buyer",
            "rival_buyer", "assessor", "outsider", "pending"]
PEOPLE = VISITORS[1:]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(VISITORS, status)


def signed_in(status: int = 200) -> dict[str, int]:
    return {**dict.fromkeys(PEOPLE, status), "anonymous": 302}


def only(allowed: dict[str, int], others: int = 403) -> dict[str, int]:
    """``allowed`` visitors get their status, other people ``others``, anonymous → sign-in."""
    return {**dict.fromkeys(PEOPLE, others), **allowed, "anonymous": 302}


MERCHANTS = {"merchant": 200, "member": 200, "rival": 200}
BUYERS = {"buyer": 200, "rival_buyer": 200}
STAFF = {"operator": 200, "auditor": 200}

# rule → (status per visitor, builder of the concrete path from the world)
Path = Callable[[World], str]
PAGES: dict[str, tuple[dict[str, int], Path]] = {
    "/": (everyone(200), lambda w: "/"),
    "/login": (everyone(200), lambda w: "/login"),
    "/console": (signed_in(), lambda w: "/console"),
    "/lang/<code>": (everyone(303), lambda w: "/lang/zh?next=/"),
    # --- public ---
    "/catalog": (everyone(200), lambda w: "/catalog?q=区县&domain=交通"),
    "/elements/<element_id>": (everyone(200), element_path),
    # --- merchant ---
    "/merchant/assets": (only(MERCHANTS), lambda w: "/merchant/assets"),
    "/merchant/assets/new": (only(MERCHANTS), lambda w: "/merchant/assets/new"),
    "/merchant/assets/<asset_id>": (only({**MERCHANTS, "rival": 404}), mw.asset_path),
    "/merchant/assets/<asset_id>/certificate": (only({**MERCHANTS, "rival": 404}),
                                                mw.certificate_path),
    "/merchant/pipelines/new": (only({**MERCHANTS, "rival": 404}), mw.builder_path),
    "/merchant/jobs/<job_id>": (only({**MERCHANTS, "rival": 404}), mw.job_path),
    "/merchant/jobs/<job_id>.json": (only({**MERCHANTS, "rival": 404}),
                                     lambda w: mw.job_path(w) + ".json"),
    "/merchant/elements": (only(MERCHANTS), lambda w: "/merchant/elements"),
    "/merchant/elements/<element_id>": (only({**MERCHANTS, "rival": 404}), mw.element_path),
    "/merchant/elements/<element_id>/query-policy": (only({**MERCHANTS, "rival": 404}),
                                                     mw.query_policy_path),
    "/merchant/listings": (only(MERCHANTS), lambda w: "/merchant/listings"),
    "/merchant/listings/new": (only({**MERCHANTS, "rival": 404}), mw.new_listing_path),
    "/merchant/listings/<listing_id>": (only({**MERCHANTS, "rival": 404}), mw.listing_path),
    "/merchant/revenue": (only(MERCHANTS), lambda w: "/merchant/revenue"),
    # --- buyer ---
    "/buyer/orders": (only(BUYERS), lambda w: "/buyer/orders"),
    "/buyer/orders/new": (only(BUYERS), buyer_world.new_order_path),
    "/buyer/orders/<order_id>": (only({"buyer": 200, "rival_buyer": 404}),
                                 buyer_world.order_path),
    "/buyer/licenses/<license_id>": (only({"buyer": 200, "rival_buyer": 404}),
                                     buyer_world.license_path),
    "/buyer/licenses/<license_id>/sandbox": (only({"buyer": 200, "rival_buyer": 404}),
                                             buyer_world.sandbox_path),
    "/buyer/api-keys": (only(BUYERS), lambda w: "/buyer/api-keys"),
    "/buyer/usage": (only(BUYERS), lambda w: "/buyer/usage"),
    "/buyer/invoices": (only(BUYERS), lambda w: "/buyer/invoices"),
    "/buyer/invoices/<invoice_id>": (only({"buyer": 200, "rival_buyer": 404}),
                                     invoice_path),
    # --- assessor and operator ---
    "/assessor/valuations": (only({**STAFF, "assessor": 200}), lambda w: "/assessor/valuations"),
    "/assessor/valuations/new": (only({"assessor": 200}), lambda w: "/assessor/valuations/new"),
    "/assessor/valuations/<valuation_id>": (only(
        {**STAFF, "assessor": 200, "merchant": 200, "member": 200}, others=404), valuation_path),
    "/operator/organizations": (only(STAFF), lambda w: "/operator/organizations"),
    "/operator/reviews": (only(STAFF), lambda w: "/operator/reviews"),
    "/operator/orders": (only(STAFF), lambda w: "/operator/orders"),
    "/operator/fees": (only(STAFF), lambda w: "/operator/fees"),
    "/operator/invoices": (only(STAFF), lambda w: "/operator/invoices?period=2020-02"),
    # --- auditor and ledger ---
    "/ledger": (everyone(200), lambda w: "/ledger"),
    "/ledger/entries/<int:index>": (everyone(200), entry_path),
    "/audit/trial-balance": (only(STAFF), lambda w: "/audit/trial-balance"),
    "/audit/journal": (only(STAFF), lambda w: "/audit/journal"),
    "/audit/journal.csv": (only(STAFF), lambda w: "/audit/journal.csv"),
    "/audit/reconciliation": (only(STAFF), lambda w: "/audit/reconciliation?run=1"),
    "/audit/statements": (only(STAFF), lambda w: "/audit/statements"),
}


def _console_rules(app: Any, method: str) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if not rule.rule.startswith("/api/") and not rule.endpoint.endswith("static")
                   and method in rule.methods})


def test_every_page_is_in_the_table(app: Any) -> None:
    assert set(_console_rules(app, "GET")) == set(PAGES)


def test_every_console_view_declares_its_action(app: Any) -> None:
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if not rule.rule.startswith("/api/") and not rule.endpoint.endswith("static")
               and not hasattr(app.view_functions[rule.endpoint], "elx_action")]
    assert missing == []


@pytest.fixture(scope="module")
def world_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> Any:
    from tests.conftest import template_app

    app = template_app(tmp_path_factory, sqlite_template, "web-routes")
    world = build_world(app)
    app.elx_world = world
    app.elx_consoles = {name: console_for(app, None if name == "anonymous" else
                                          world[name].email) for name in VISITORS}
    return app


@pytest.mark.parametrize("rule", sorted(PAGES))
def test_page_as_every_visitor(world_app: Any, rule: str) -> None:
    expected, build = PAGES[rule]
    path = build(world_app.elx_world)
    seen = {name: world_app.elx_consoles[name].get(path).status_code for name in VISITORS}
    assert seen == expected


def test_state_changing_routes_need_csrf_and_sign_in(app: Any) -> None:
    console = console_for(app)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint.endswith("static"):
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            path = rule.rule.replace("<", "").replace(">", "")
            forged = console.client.open(path, method=method, data={"x": "1"})
            assert forged.status_code == 403, (method, rule.rule)
            assert b"expired or did not come from this site" in forged.data
            view = app.view_functions[rule.endpoint]
            if getattr(view, "elx_public", False):
                continue
            allowed = console.client.open(path, method=method,
                                          data={"csrf_token": console.token()})
            assert allowed.status_code == 302, (method, rule.rule)
            assert allowed.headers["Location"].startswith("/login?next=")
