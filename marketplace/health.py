"""``GET /api/v1/health``: liveness plus a database round trip."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from marketplace.authz import public
from marketplace.db import db

bp = Blueprint("health", __name__)


@bp.get("/health")
@public("health.read")
def health():  # type: ignore[no-untyped-def]
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return jsonify(status="ok")
