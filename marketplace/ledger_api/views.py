"""Public, read-only ledger routes (transparency: anyone may verify, no credentials needed)."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, request
from marshmallow import Schema, fields, validate

from ledger.merkle import leaf_hash
from marketplace.authz import public
from marketplace.http import load
from marketplace.ledger_api import services

bp = Blueprint("ledger", __name__)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class InclusionArgs(Schema):
    index = fields.Int(required=True, validate=validate.Range(min=0))
    tree_size = fields.Int(required=True, validate=validate.Range(min=1))


class ConsistencyArgs(Schema):
    first = fields.Int(required=True, validate=validate.Range(min=1))
    second = fields.Int(required=True, validate=validate.Range(min=1))


@bp.get("/ledger/checkpoint")
@public("ledger.read")
def checkpoint() -> Response:
    """The latest signed checkpoint, as a C2SP signed note (text/plain)."""
    return Response(services.checkpoint(), mimetype="text/plain")


@bp.get("/ledger/entries/<int:index>")
@public("ledger.read")
def entry(index: int):  # type: ignore[no-untyped-def]
    """One entry: its canonical bytes (the Merkle leaf), their decoded fields and the payload."""
    item, payload = services.entry(index)
    data = item.to_bytes()
    return {
        "index": index,
        "entry": _b64(data),
        "leaf_hash": leaf_hash(data).hex(),
        "fields": item.to_json(),
        "payload": _b64(payload),
    }


@bp.get("/ledger/receipts/<int:index>")
@public("ledger.read")
def receipt(index: int):  # type: ignore[no-untyped-def]
    return services.receipt(index)


@bp.get("/ledger/proofs/inclusion")
@public("ledger.read")
def inclusion():  # type: ignore[no-untyped-def]
    args = load(InclusionArgs(), request.args.to_dict())
    proof = services.inclusion_proof(args["index"], args["tree_size"])
    return {"index": args["index"], "tree_size": args["tree_size"],
            "proof": [_b64(h) for h in proof]}


@bp.get("/ledger/proofs/consistency")
@public("ledger.read")
def consistency():  # type: ignore[no-untyped-def]
    args = load(ConsistencyArgs(), request.args.to_dict())
    proof = services.consistency_proof(args["first"], args["second"])
    return {"first": args["first"], "second": args["second"],
            "proof": [_b64(h) for h in proof]}


@bp.get("/ledger/public-keys")
@public("ledger.read")
def public_keys():  # type: ignore[no-untyped-def]
    return {"keys": services.public_keys()}


@bp.get("/ledger/export")
@public("ledger.read")
def export() -> Response:
    """The whole log as JSON Lines, streamed; verify it with ``python -m ledger verify``."""
    return Response(services.export_lines(),
                    mimetype="application/x-ndjson")
