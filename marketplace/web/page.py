"""Declaring a console page: its authorisation action and whether it needs a signed-in person.

``@page("listing.create")`` marks the view exactly like the API's ``@action`` (the same RULES,
audited by tests/web/test_web_routes.py) and sends anonymous visitors to the sign-in page; the
services the view calls then authorise the resource like they do for the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint

from marketplace.authz import action
from marketplace.errors import Unauthorized
from marketplace.web.session import web_principal

F = TypeVar("F", bound=Callable[..., Any])


def page(name: str, *, public: bool = False) -> Callable[[F], F]:
    def wrap(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not public and web_principal() is None:
                raise Unauthorized("Sign in to see this page.")
            return view(*args, **kwargs)

        checked.elx_public = public  # type: ignore[attr-defined]
        return action(name)(checked)  # type: ignore[return-value]

    return wrap


def console_blueprint(name: str, import_name: str, **options: Any) -> Blueprint:
    """A console area's blueprint with the shared guards (CSRF, session principal) and HTML
    error pages installed once, at import (blueprints are reused by every app the tests make)."""
    from marketplace.web import errors, security

    bp = Blueprint(name, import_name, **options)
    security.guard(bp)
    errors.install(bp)
    return bp
