"""Ledger explorer (issue 8 §6): the latest signed checkpoint, lookup by entry index or subject,
and each entry with "Verify in this browser".

The server only shows; ``static/ledger.js`` verifies, in the visitor's browser, from the public
``/api/v1/ledger`` routes: the RFC 9162 leaf hash and inclusion proof (§2.1.3.2) against the
C2SP tlog-checkpoint root, and the C2SP signed-note Ed25519 signature against a verifier key the
visitor may pin — with WebCrypto where the browser has it, else ``static/crypto/*.js``. So
trust in an entry does not depend on this server.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from flask import redirect, render_template, request, url_for

from ledger.checkpoint import Checkpoint
from ledger.entry import format_timestamp
from ledger.merkle import leaf_hash
from ledger.note import parse_note
from marketplace.errors import ValidationFailed
from marketplace.ledger_api import browse, services
from marketplace.web.i18n import gettext as _
from marketplace.web.page import console_blueprint, page

bp = console_blueprint("web_ledger", __name__)
_INDEX = re.compile(r"#?([0-9]{1,16})")


def _checkpoint() -> dict[str, Any]:
    """The latest checkpoint as shown (parsed, not verified: verifying is the browser's job)."""
    note = services.checkpoint()
    text, signatures = parse_note(note)
    checkpoint = Checkpoint.parse(text)
    return {"note": note, "origin": checkpoint.origin, "size": checkpoint.size,
            "root_b64": base64.b64encode(checkpoint.root_hash).decode(),
            "root_hex": checkpoint.root_hash.hex(),
            "signatures": [{"name": s.name, "key_id": s.key_id.hex()} for s in signatures]}


@bp.get("/ledger")
@page("ledger.read", public=True)
def explorer():  # type: ignore[no-untyped-def]
    query = request.args.get("q", "").strip()
    index = _INDEX.fullmatch(query)
    if index:
        return redirect(url_for(".entry", index=int(index.group(1))), code=303)
    found, errors, status = None, {}, 200
    if query:
        try:
            found = browse.subject_entries(query)
        except ValidationFailed as error:
            errors, status = error.errors, error.status
    return render_template(
        "ledger/explorer.html", checkpoint=_checkpoint(), keys=services.public_keys(),
        recent=browse.recent_entries(20), query=query, found=found, errors=errors,
        labels={"log": _("the log"), "witness": _("witness"), "current": _("current"),
                "retired": _("retired")}), status


def _messages() -> dict[str, str]:
    """What ledger.js says, translated here (the catalogs are server-side)."""
    return {
        "running": _("Verifying…"),
        "ok": _("Entry %(index)s verified: it is in the log %(origin)s of %(size)s entries, "
                "whose checkpoint carries a valid signature by the pinned key."),
        "failed": _("Verification failed: %(step)s"),
        "skipped": _("Not checked: an earlier step failed."),
        "state_ok": _("step passed"),
        "state_failed": _("step failed"),
        "state_skipped": _("step not checked"),
        "fetch": _("Could not fetch %(url)s (HTTP %(status)s)."),
        "impl_webcrypto": _("WebCrypto (this browser's own SHA-256 and Ed25519)"),
        "impl_mixed": _("WebCrypto SHA-256 and elx's JavaScript Ed25519 (this browser's "
                        "WebCrypto has no Ed25519)"),
        "impl_js": _("elx's JavaScript SHA-256, SHA-512 and Ed25519 (no WebCrypto here)"),
        "bad_vkey": _("Not a verifier key of the form name+keyid+base64."),
        "bad_key_id": _("The key ID %(claimed)s does not match the key (computed %(computed)s)."),
        "key_ok": _("Key %(name)s, key ID %(id)s."),
        "no_signature": _("The checkpoint has no signature by the pinned key %(name)s+%(id)s."),
        "bad_signature": _("The signature by %(name)s+%(id)s does not verify."),
        "signature_ok": _("Signature by %(name)s+%(id)s verifies."),
        "bad_note": _("Not a signed note: %(why)s"),
        "bad_checkpoint": _("Not a checkpoint: %(why)s"),
        "wrong_origin": _("The checkpoint is for origin %(origin)s, not %(expected)s."),
        "checkpoint_ok": _("Origin %(origin)s, %(size)s entries, root %(root)s."),
        "bad_entry": _("The entry bytes are not a canonical version-1 ledger entry."),
        "wrong_index": _("The entry says index %(found)s, not %(index)s."),
        "not_in_tree": _("Entry %(index)s is beyond the checkpoint's %(size)s entries."),
        "entry_ok": _("%(n)s bytes of canonical JSON."),
        "leaf_ok": _("Leaf hash %(hash)s."),
        "bad_payload": _("The payload hashes to %(computed)s, the entry says %(claimed)s."),
        "payload_ok": _("SHA-256 of the payload is %(hash)s, as the entry says."),
        "bad_proof": _("The inclusion proof is malformed: %(why)s"),
        "wrong_root": _("The proof leads to root %(computed)s, the checkpoint says %(root)s."),
        "inclusion_ok": _("%(n)s proof hashes lead to the checkpoint's root %(root)s."),
        "bad_genesis": _("Entry 0 must have 64 zeros as its previous hash."),
        "bad_link": _("The previous hash %(prev)s is not the leaf hash %(leaf)s of entry "
                      "%(before)s."),
        "link_ok": _("The previous hash is the leaf hash of entry %(before)s."),
        "genesis_ok": _("Entry 0 starts the chain."),
        "page_differs": _("This page shows %(field)s = %(shown)s, the verified entry says "
                          "%(value)s."),
        "page_ok": _("Everything this page shows about the entry is what it says."),
        "pinned": _("Using the key you pinned in this browser."),
        "pin_saved": _("Key pinned in this browser."),
        "pin_forgotten": _("Pinned key forgotten; using the key embedded in this page."),
    }


@bp.get("/ledger/entries/<int:index>")
@page("ledger.read", public=True)
def entry(index: int):  # type: ignore[no-untyped-def]
    item, payload = services.entry(index)
    try:
        payload_text = json.dumps(json.loads(payload), ensure_ascii=False, indent=2)
    except ValueError:
        payload_text = payload.decode("utf-8", "replace")
    api = url_for("ledger.checkpoint").rsplit("/", 1)[0]
    return render_template(
        "ledger/entry.html", entry=item, ts=format_timestamp(item.timestamp),
        leaf_hash=leaf_hash(item.to_bytes()).hex(), payload_text=payload_text,
        vkey=browse.current_log_key() or "", origin=services.store().origin, api=api,
        messages=_messages())
