"""Ledger entries for the ledger explorer's tests, made through the real API: registering an
asset and uploading its versions each append one entry (marketplace/assets/services.py)."""

from __future__ import annotations

from typing import Any

from tests.api.world import ASSET, World

CSV = "区县,数量\n旌阳区,3\n".encode()


def ledger_entries(world: World, versions: int = 3) -> dict[str, Any]:
    """One asset of the merchant with ``versions`` versions; returns the asset id, the version
    ids and their ledger indexes, and the ledger size after them."""
    asset = world.ok("POST", "/assets", world["merchant"], json=ASSET, status=201)
    made = [world.ok("POST", f"/assets/{asset['id']}/versions?filename=v{n}.csv",
                     world["merchant"], data=CSV + f"罗江区,{n}\n".encode(),
                     content_type="text/csv", status=201) for n in range(versions)]
    size = int(world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1])
    return {"asset_id": asset["id"], "version_ids": [v["id"] for v in made],
            "indexes": [v["ledger_index"] for v in made], "size": size}


def entry_path(world: World) -> str:
    """``/ledger/entries/<index>`` of one entry per world (made on first use)."""
    if not hasattr(world, "ledger_entries"):
        world.ledger_entries = ledger_entries(world, versions=1)  # type: ignore[attr-defined]
    return f"/ledger/entries/{world.ledger_entries['indexes'][0]}"  # type: ignore[attr-defined]


def appended_entries(app: Any, count: int) -> None:
    """``count`` entries appended straight to the app's ledger (no world to build): for tests
    about verifying entries rather than about what made them."""
    from ledger.entry import EntryDraft
    from marketplace.db import db
    from marketplace.ledger_api.services import store

    with app.app_context():
        for n in range(count):
            store().append(db.session.connection(), EntryDraft(
                kind="test.ledger.entry", subject=f"subject-{n}", actor_org="org_test",
                actor_user=None if n % 2 else "usr_test", payload={"n": n, "text": "条目"}))
        db.session.commit()
