"""Public console pages (issue 8 §1): the catalog with search and facets, and the element page.

Anonymous visitors may open both. The catalog calls :func:`marketplace.listings.catalog.browse`
exactly like ``GET /catalog`` (same arguments, same schema, plain GET forms); the element page
calls :func:`marketplace.listings.element_page.element_page`, which authorises like
``GET /elements/{id}`` for signed-in visitors and shows anonymous ones only the public facts of
a listed element.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import render_template, request, url_for

from marketplace.elements.schemas import VersionArgs
from marketplace.errors import ValidationFailed
from marketplace.http import load
from marketplace.listings import catalog
from marketplace.listings.catalog_schemas import CatalogArgs, hit_out
from marketplace.listings.element_page import element_page
from marketplace.listings.facets import FACETS
from marketplace.listings.schemas import plan_out
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import public_labels as labels
from marketplace.web.pages.valuation_labels import names as method_names
from marketplace.web.session import web_principal

bp = console_blueprint("web_public", __name__)
SINGLE = ("q", "sort", "cursor", "limit")  # limit: as the API, no form control
LATEST = 6


def _messages(errors: Any) -> list[str]:
    """Every message in a (possibly nested) marshmallow error value, translated."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [labels.search_errors().get(str(errors), _(str(errors)))]


def _submitted() -> dict[str, Any]:
    """The form as the visitor sent it: blank fields dropped, unknown ones ignored."""
    form: dict[str, Any] = {name: [v for v in request.args.getlist(name) if v.strip()]
                            for name in FACETS}
    for name in SINGLE:
        value = request.args.get(name, "").strip()
        if value:
            form[name] = value
    return form


def _url(form: dict[str, Any], **changes: Any) -> str:
    """This catalog page with the visitor's form and ``changes`` (None drops a field)."""
    pairs = [(k, v) for k, values in {**form, **changes}.items() if values is not None
             for v in (values if isinstance(values, list) else [values])]
    return url_for("web_public.catalog_page") + ("?" + urlencode(pairs) if pairs else "")


@bp.get("/catalog")
@page("console.public", public=True)
def catalog_page():  # type: ignore[no-untyped-def]
    form = _submitted()
    data: dict[str, Any] = {"q": form.get("q"), "facets": {}, "hits": [], "total": None}
    errors: dict[str, list[str]] = {}
    try:
        args = load(CatalogArgs(), {k: v if isinstance(v, list) else [v]
                                    for k, v in form.items()})
        filters = {name: args.pop(name) for name in FACETS}
        result = catalog.browse(web_principal(), catalog.Search(filters=filters, **args))
    except ValidationFailed as error:
        errors = {field: _messages(value) for field, value in error.errors.items()}
        status = 422
    else:
        status = 200
        data = {"hits": [hit_out(*hit) for hit in result["hits"]], "total": result["total"],
                "facets": result["facets"], "q": args["q"]}
        if result["next_cursor"]:
            data["next_page"] = _url(form, cursor=result["next_cursor"])
    first = _url(form, cursor=None) if form.get("cursor") else None
    return render_template(
        "public/catalog.html", form=form, errors=errors, first=first, sorts=labels.sorts(),
        facet_names=labels.facet_names(), words=labels.values(), **data), status


@bp.get("/elements/<element_id>")
@page("console.public", public=True)
def element(element_id: str):  # type: ignore[no-untyped-def]
    args = load(VersionArgs(), {k: v for k, v in request.args.items() if k == "version"})
    shown = element_page(web_principal(), element_id, args["version"])
    quality = shown.version.quality or {}
    names, weights = labels.dimensions(), quality.get("weights") or {}
    scored = [(names.get(d, d), score, weights.get(d))
              for d, score in (quality.get("dimensions") or {}).items() if score is not None]
    plans = {lst.id: [plan_out(plan) for plan in lst.plans] for lst in shown.listings}
    return render_template("public/element.html", p=shown, quality=quality, scored=scored,
                           plans=plans, words={**method_names(), **labels.values()})


@bp.app_context_processor
def _latest_listings() -> dict[str, Any]:
    """``latest_listings()`` for the home page: the newest catalog entries (a public read)."""
    def latest() -> list[dict[str, Any]]:
        result = catalog.browse(web_principal(), catalog.Search(sort="newest", limit=LATEST))
        return [hit_out(*hit) for hit in result["hits"]]

    return {"latest_listings": latest}
