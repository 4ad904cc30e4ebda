"""The console's shared shell in real Chromium: no console errors, labelled inputs, sign-in by
keyboard alone, the language switcher, and a framed page refused (clickjacking)."""

from __future__ import annotations

from typing import Any

from tests.api.world import PASSWORD, build_world
from tests.web.browser import shoot, unlabelled_inputs


def test_sign_in_by_keyboard_and_switch_language(live_server: Any, browser_page: Any) -> None:
    world = build_world(live_server.app)
    page = browser_page
    page.goto(live_server.url + "/console")
    assert page.url.startswith(live_server.url + "/login?next=")
    assert unlabelled_inputs(page) == []
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#email")
    page.keyboard.type(world["buyer"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/console")
    assert "buyer@example.org" in page.inner_text("header")
    shoot(page, "console-dashboard-en")
    page.click("text=中文")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "退出登录" in page.inner_text("header")
    shoot(page, "console-dashboard-zh")


def test_console_refuses_to_be_framed(live_server: Any, browser_page: Any, tmp_path: Any,
                                     request: Any) -> None:
    request.node.elx_allow_console_errors = True  # Chromium logs the refused frame
    page = browser_page
    page.goto(live_server.url + "/login")
    page.set_content(f'<iframe id="f" src="{live_server.url}/login"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frame_locator("#f")
    assert frame.locator("#email").count() == 0  # the frame never rendered our page
