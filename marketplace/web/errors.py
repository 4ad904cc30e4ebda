"""Console error pages: the same errors as the API's problem+json, rendered as HTML in the
visitor's language; an anonymous visitor asked to sign in is sent to the sign-in page."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from marketplace.errors import DomainError, Unauthorized, from_http_exception
from marketplace.web.csrf import CsrfFailure
from marketplace.web.i18n import gettext as _

log = logging.getLogger(__name__)


def _page(status: int, title: str, detail: str | None) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def _domain(error: DomainError) -> Response | tuple[str, int]:
    if isinstance(error, Unauthorized):
        target = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return redirect(url_for("web.login") + "?next=" + quote(target, safe=""))
    return _page(error.status, _(error.title), error.detail)


def _http(exc: HTTPException) -> Response | tuple[str, int]:
    return _domain(from_http_exception(exc))


def _csrf(_exc: CsrfFailure) -> tuple[str, int]:
    return _page(403, _("Forbidden"),
                 _("This form has expired or did not come from this site. "
                   "Reload the page and try again."))


def _unexpected(_exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error in a console page")
    return _page(500, _("Internal server error"), None)


def install(bp: Blueprint) -> None:
    bp.register_error_handler(CsrfFailure, _csrf)
    bp.register_error_handler(DomainError, _domain)
    bp.register_error_handler(HTTPException, _http)
    bp.register_error_handler(Exception, _unexpected)
