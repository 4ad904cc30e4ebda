"""Console test fixtures: the browser harness (tests/web/browser.py) is importable as fixtures."""

from tests.web.browser import browser_page, chromium, live_app, live_server  # noqa: F401
