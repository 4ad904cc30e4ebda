"""Console pages every visitor shares: home, sign-in, sign-out, language switch, dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.errors import NotFound, RateLimited, Unauthorized
from marketplace.web import i18n, session
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page

bp = console_blueprint("web", __name__, template_folder="templates", static_folder="static",
                       static_url_path="/static")
LANG_MAX_AGE = 365 * 86400


def safe_next(target: str | None, default: str = "/console") -> str:
    """Only a path on this site (no scheme, host or ``//``): no open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


@bp.get("/")
@page("console.public", public=True)
def home():  # type: ignore[no-untyped-def]
    return render_template("home.html")


@bp.get("/login")
@page("console.session", public=True)
def login_form():  # type: ignore[no-untyped-def]
    return render_template("login.html", next=safe_next(request.args.get("next")), error=None)


@bp.post("/login")
@page("console.session", public=True)
def login():  # type: ignore[no-untyped-def]
    target = safe_next(request.form.get("next"))
    response = make_response(redirect(target, code=303))
    try:
        session.sign_in(request.form.get("email", ""), request.form.get("password", ""),
                        response)
    except (Unauthorized, RateLimited) as error:
        message = _("Wrong email or password.") if isinstance(error, Unauthorized) else \
            _("Too many failed sign-in attempts; try again later.")
        status = 401 if isinstance(error, Unauthorized) else 429
        return render_template("login.html", next=target, error=message,
                               email=request.form.get("email", "")), status
    return response


@bp.post("/logout")
@page("console.session", public=True)
def logout():  # type: ignore[no-untyped-def]
    response = make_response(redirect(url_for("web.home"), code=303))
    session.sign_out(response)
    return response


@bp.get("/lang/<code>")
@page("console.session", public=True)
def switch_language(code: str) -> Response:
    if code not in i18n.LANGUAGES:
        raise NotFound("No such language.")
    response = make_response(redirect(safe_next(request.args.get("next"), "/"), code=303))
    session.set_cookie(response, i18n.COOKIE, code, LANG_MAX_AGE)
    return response


@bp.get("/console")
@page("console.home")
def dashboard():  # type: ignore[no-untyped-def]
    return render_template("dashboard.html")
