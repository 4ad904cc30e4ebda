"""Every console route is authorised like the API (issue 8 §7): a table names each GET page's
status for every kind of visitor (the test enumerates the app's ``url_map`` so no page is left
out); every state-changing route refuses a request without a CSRF token and sends anonymous
visitors to the sign-in page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.world import World, build_world
from tests.web.console import console_for

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
    # --- merchant ---
    # --- buyer ---
    # --- assessor and operator ---
    # --- auditor and ledger ---
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
    import shutil

    from tests.conftest import make_app

    tmp = tmp_path_factory.mktemp("web-routes")
    shutil.copyfile(sqlite_template, tmp / "elx.db")
    app = make_app(tmp, f"sqlite:///{tmp / 'elx.db'}")
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
