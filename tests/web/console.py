"""Driving the console with Flask's test client: sign in as an actor of tests/api/world.py,
read the CSRF token from a page, post forms like a browser would."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.api.world import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


class Console:
    """One browser: its own cookie jar, signed in as at most one person."""

    def __init__(self, client: FlaskClient, lang: str = "en") -> None:
        self.client = client
        self.lang = lang
        self.client.set_cookie("elx_lang", lang)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None,
             **kwargs: Any) -> Any:
        """POST a form with the CSRF token read from ``page`` (default: the same path)."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.token(page or path))
        return self.client.post(path, data=form, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        response = self.post("/login", {"email": email, "password": password, "next": "/console"})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response


def console_for(app: Any, email: str | None = None, lang: str = "en") -> Console:
    console = Console(app.test_client(), lang)
    if email:
        console.sign_in(email)
    return console
