"""Headless Chromium against a live console (issue 8 acceptance): Debian's /usr/bin/chromium
driven by Playwright; skipped with a clear reason where Chromium is not installed.

``live_server`` serves a real app (file SQLite, one job worker) on 127.0.0.1 in a thread.
``browser_page`` is a fresh context whose console errors and page errors are collected and
asserted empty at teardown; ``shoot(page, name)`` saves a screenshot under test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("ELX_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ELX_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    return None


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """A console app whose jobs run in a worker thread, as under ``make run``."""
    return app_factory(WORKER_THREADS=1, validate_contract=False)


@pytest.fixture
def live_server(live_app: Any) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.elx_problems = problems
    yield page
    context.close()
    if not getattr(request.node, "elx_allow_console_errors", False):
        assert problems == [], problems


def shoot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact; returns its path."""
    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unlabelled_inputs(page: Any) -> list[str]:
    """Form controls with no accessible label (label[for], wrapping label, aria-label(ledby))."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea')]
      .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !el.getAttribute('aria-labelledby'))
      .map(el => el.outerHTML.slice(0, 120))""")


def copy_for_readme(source: Path, name: str) -> None:
    """Keep a screenshot the README shows (docs/screenshots), when asked to refresh them."""
    if os.environ.get("ELX_REFRESH_SCREENSHOTS"):
        target = Path(__file__).parents[2] / "docs" / "screenshots" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
