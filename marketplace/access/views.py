"""Buyer access routes (issue 7); documented in openapi.yaml.

``GET|PUT /elements/{id}/query-policy`` (the owner's merchants set it), ``GET
/elements/{id}/records`` (a buyer organisation's API key, ``X-Purpose``) and ``POST
/licenses/{id}/queries`` (the buyer organisation's people or API keys; ``X-Purpose`` header or
``purpose`` in the body).
"""

from __future__ import annotations

from flask import Blueprint, request

from marketplace.access import policy, queries, records, schemas
from marketplace.auth import current_principal
from marketplace.authz import action
from marketplace.http import json_body, load

bp = Blueprint("access", __name__)
PURPOSE_HEADER = "X-Purpose"


@bp.get("/elements/<element_id>/query-policy")
@action("query_policy.read")
def get_query_policy(element_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.PolicyArgs(), request.args.to_dict())
    return schemas.policy_out(policy.get_policy(current_principal(), element_id, **args))


@bp.put("/elements/<element_id>/query-policy")
@action("query_policy.write")
def put_query_policy(element_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.PolicyArgs(), request.args.to_dict())
    data = load(schemas.PolicyIn(), json_body())
    found = policy.put_policy(current_principal(), element_id, args["version"], data["policy"],
                              data["excluded_columns"])
    return schemas.policy_out(found)


@bp.get("/elements/<element_id>/records")
@action("records.read")
def get_records(element_id: str):  # type: ignore[no-untyped-def]
    args = load(schemas.RecordsArgs(), schemas.records_args(request.args))
    purpose = load(schemas.QueryIn(only=("purpose",)),
                   {"purpose": request.headers.get(PURPOSE_HEADER)})["purpose"]
    page = records.read_records(current_principal(), element_id, purpose, args)
    return schemas.records_out(page)


@bp.post("/licenses/<license_id>/queries")
@action("sandbox.query")
def post_query(license_id: str):  # type: ignore[no-untyped-def]
    data = load(schemas.QueryIn(), json_body())
    purpose = data["purpose"] or load(schemas.QueryIn(only=("purpose",)), {
        "purpose": request.headers.get(PURPOSE_HEADER)})["purpose"]
    outcome, result = queries.run_query(current_principal(), license_id, data["sql"], purpose)
    return schemas.query_out(outcome, result)
