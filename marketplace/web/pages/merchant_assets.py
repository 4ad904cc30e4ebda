"""Merchant console: data assets (issue 8 §2) — list, register, versions, upload with a progress
bar, the detected encoding, and the registration certificate as a download.

Uploads call the same service as ``POST /api/v1/assets/{id}/versions``. The enhanced form
(merchant.js) sends the CSRF token as a header, so the CSRF guard never parses the body and the
file is streamed to the ingester exactly like the API's multipart upload; the plain form (no
JavaScript) is parsed by the guard and its spooled file is handed over instead.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from marketplace.assets import schemas, services
from marketplace.assets.models import Classification, UpdateFrequency
from marketplace.assets.uploads import Upload, upload_from_request
from marketplace.assets.views import CertificateArgs
from marketplace.errors import DomainError, ValidationFailed
from marketplace.http import load
from marketplace.web import csrf
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page
from marketplace.web.pages import merchant_forms as forms
from marketplace.web.pages.merchant_common import acting_org, guard, principal, problem

bp = console_blueprint("web_merchant_assets", __name__)
guard(bp)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
FORMATS = ("csv", "jsonl", "parquet")


@bp.get("/merchant/assets")
@page("asset.list")
def assets():  # type: ignore[no-untyped-def]
    rows, cursor = services.list_assets(principal(), request.args.get("cursor"), 50,
                                        acting_org())
    return render_template("merchant/assets.html", assets=rows, next_cursor=cursor)


def _form(values: dict[str, Any], error: DomainError | None = None) -> str:
    message, errors = problem(error) if error else (None, {})
    return render_template("merchant/asset_new.html", values=values, message=message,
                           errors=errors, frequencies=[f.value for f in UpdateFrequency],
                           classifications=[c.value for c in Classification])


@bp.get("/merchant/assets/new")
@page("asset.create")
def new_asset():  # type: ignore[no-untyped-def]
    return _form({"update_frequency": "monthly", "classification": "general"})


@bp.post("/merchant/assets")
@page("asset.create")
def create_asset():  # type: ignore[no-untyped-def]
    document = forms.asset_document(request.form, acting_org())
    try:
        asset = services.create_asset(principal(), load(schemas.AssetIn(), document))
    except DomainError as error:
        return _form(request.form.to_dict(), error), error.status
    return redirect(url_for(".asset", asset_id=asset.id), code=303)


def _detail(asset_id: str, error: DomainError | None = None) -> str:
    p = principal()
    asset = services.get_asset(p, asset_id)
    message, errors = problem(error) if error else (None, {})
    return render_template("merchant/asset.html", asset=asset,
                           versions=list(reversed(services.list_versions(p, asset_id))),
                           message=message, errors=errors, encodings=ENCODINGS,
                           formats=FORMATS)


@bp.get("/merchant/assets/<asset_id>")
@page("asset.read")
def asset(asset_id: str):  # type: ignore[no-untyped-def]
    return _detail(asset_id)


def _upload() -> Upload:
    if request.headers.get(csrf.HEADER):  # merchant.js: stream, options in the query string
        args = load(schemas.UploadArgs(), {k: v for k in ("format", "encoding")
                                           if (v := request.args.get(k))})
        return upload_from_request(request, args["format"], args["encoding"], None)
    args = load(schemas.UploadArgs(), {k: v for k in ("format", "encoding")
                                       if (v := request.form.get(k))})
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ValidationFailed(errors={"file": [_("Choose a file to upload.")]})
    return Upload(file.stream, file.filename, args["format"], args["encoding"])


@bp.post("/merchant/assets/<asset_id>/versions")
@page("asset.version.create")
def upload(asset_id: str):  # type: ignore[no-untyped-def]
    p = principal()
    services.get_asset(p, asset_id)  # authorise before reading any of the body
    try:
        services.upload_version(p, asset_id, _upload())
    except DomainError as error:
        return _detail(asset_id, error), error.status
    return redirect(url_for(".asset", asset_id=asset_id), code=303)


@bp.get("/merchant/assets/<asset_id>/certificate")
@page("asset.certificate.read")
def certificate(asset_id: str) -> Response:
    """The certificate ``GET /api/v1/assets/{id}/certificate`` serves, byte for byte (the same
    JSON provider), as a file to keep."""
    wanted = {"version": v} if (v := request.args.get("version")) else {}
    args = load(CertificateArgs(), wanted)
    document = services.certificate(principal(), asset_id, args["version"])
    response = current_app.json.response(document)
    name = f"certificate-{document['asset_id']}-v{document['version']}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
