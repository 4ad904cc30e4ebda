"""Listings routes (issue 5); documented in openapi.yaml."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("listings", __name__)
