"""Buyer console — API keys for the buyer's programs (issue 8 §3), over the services of
``GET|POST /api-keys`` and ``DELETE /api-keys/{id}``.

A new key's secret is shown once, on the page answering the creation (never cached:
``Cache-Control: no-store``); only its hash is stored, so every later visit shows the
credential's public prefix ``elx_<key id>_…`` and nothing more.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from marketplace.accounts import services
from marketplace.accounts.schemas import ApiKeyIn
from marketplace.auth import API_KEY_PREFIX
from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.http import load
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import buyer_common as common
from marketplace.web.session import web_principal

bp = console_blueprint("web_buyer_keys", __name__)
common.install(bp)


def _page(created: Any = None, secret: str | None = None, failure: dict[str, Any] | None = None,
          form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    p = web_principal()
    keys = services.list_api_keys(p)
    orgs = dict(common.buyer_orgs(p)) if p else {}
    return render_template("buyer/api_keys.html", keys=keys, orgs=orgs, created=created,
                           secret=secret, failure=failure, form=form or {}, now=utcnow(),
                           prefix=API_KEY_PREFIX), status


@bp.get("/buyer/api-keys")
@page("api_key.list")
def api_keys():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/buyer/api-keys")
@page("api_key.create")
def create_key():  # type: ignore[no-untyped-def]
    form = {k: request.form.get(k, "").strip() for k in ("org_id", "name", "ttl_days")}
    p = web_principal()
    orgs = common.buyer_orgs(p) if p else []
    data: dict[str, Any] = {"org_id": form["org_id"] or (orgs[0][0] if len(orgs) == 1 else ""),
                            "name": form["name"]}
    try:
        if form["ttl_days"]:
            data["ttl_days"] = int(form["ttl_days"]) if form["ttl_days"].isdigit() else -1
        key, secret = services.create_api_key(p, **load(ApiKeyIn(), data))
    except DomainError as error:
        db.session.rollback()
        return _page(failure=common.problem(error), form=form, status=error.status)
    return _page(created=key, secret=secret, status=201)


@bp.post("/buyer/api-keys/<key_id>/revoke")
@page("api_key.revoke")
def revoke_key(key_id: str):  # type: ignore[no-untyped-def]
    services.revoke_api_key(web_principal(), key_id)
    return redirect(url_for("web_buyer_keys.api_keys"), code=303)
