"""Every console page in real Chromium (issue 8 acceptance: "no console errors on any page; every
form works by keyboard; inputs have labels"). The pages and who may open them come from the route
table of tests/web/test_web_routes.py, so a new page is swept the day it is added."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.world import PASSWORD, build_world
from tests.web.browser import LiveServer, unlabelled_inputs
from tests.web.test_web_routes import PAGES, VISITORS

# Who opens each page: the first of these the route table lets in (200).
PREFERENCE = ["anonymous", "merchant", "buyer", "operator", "auditor", "assessor", *VISITORS]

FORMS_WITHOUT_KEYBOARD_SUBMIT = """() => [...document.forms]
  .filter(f => !f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit]'))
  .map(f => f.id || f.action)"""

UNREACHABLE_CONTROLS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(el => el.tabIndex < 0 || el.getAttribute('aria-hidden') === 'true')
  .map(el => el.outerHTML.slice(0, 100))"""


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """No background worker: the route table's builders run element builds inline."""
    return app_factory(WORKER_THREADS=0, validate_contract=False)


def _visitor(expected: dict[str, int]) -> str | None:
    return next((v for v in PREFERENCE if expected.get(v) == 200), None)


def test_every_page_renders_cleanly_for_someone_allowed(live_server: LiveServer,
                                                        chromium: Any) -> None:
    world = build_world(live_server.app)
    pages: dict[str, Any] = {}
    visited = []
    try:
        for rule, (expected, build) in sorted(PAGES.items()):
            who = _visitor(expected)
            if who is None or rule.endswith((".csv", ".json")) or rule.endswith("/certificate"):
                continue  # redirects only (the language switch) or downloads, not pages
            path = build(world)
            if who not in pages:
                pages[who] = _browser_for(chromium, live_server, world, who)
            page = pages[who]
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (rule, who)
            assert unlabelled_inputs(page) == [], (rule, who)
            assert page.evaluate(FORMS_WITHOUT_KEYBOARD_SUBMIT) == [], (rule, who)
            assert page.evaluate(UNREACHABLE_CONTROLS) == [], (rule, who)
            assert page.locator("main h1").count() >= 1, (rule, who)
            assert page.elx_problems == [], (rule, who, page.elx_problems)
            visited.append(rule)
    finally:
        for page in pages.values():
            page.context.close()
    assert len(visited) >= len(PAGES) - 5  # every page but the downloads and the redirect


def _browser_for(chromium: Any, live: LiveServer, world: Any, who: str) -> Any:
    context = chromium.new_context(locale="zh-CN" if who == "buyer" else "en-US")
    page = context.new_page()
    page.elx_problems = []
    page.on("console", lambda m: page.elx_problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.elx_problems.append(str(e)))
    if who != "anonymous":
        page.goto(f"{live.url}/login")
        page.fill("#email", world[who].email)
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live.url}/console")
    return page
