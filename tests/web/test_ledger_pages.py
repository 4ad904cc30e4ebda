"""Ledger explorer pages (issue 8 §6): the latest checkpoint, lookup by entry number or subject,
and each entry with what the browser needs to verify it (tests/web/test_browser_ledger.py runs
the verification itself)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest

from ledger.note import parse_note
from tests.api.world import ASSET, build_world
from tests.web.console import console_for
from tests.web.ledger_world import ledger_entries


@pytest.fixture
def world(app: Any) -> Any:
    world = build_world(app)
    world.ledger = ledger_entries(world, versions=3)
    return world


def _vkey(world: Any) -> str:
    keys = world.ok("GET", "/ledger/public-keys")["keys"]
    return next(k["vkey"] for k in keys if k["role"] == "log" and k["status"] == "current")


def test_explorer_shows_the_latest_checkpoint_and_recent_entries(app: Any, world: Any) -> None:
    note = world.call("GET", "/ledger/checkpoint").get_data(as_text=True)
    text, signatures = parse_note(note)
    origin, size, root = text.splitlines()
    response = console_for(app).get("/ledger")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<code id="origin">{origin}</code>' in html
    assert f'<dd id="size">{size}</dd>' in html and int(size) == world.ledger["size"] == 4
    assert root in html and base64.b64decode(root).hex() in html
    assert signatures[0].key_id.hex() in html and _vkey(world) in html
    recent = re.findall(r'href="/ledger/entries/(\d+)">#', html.split('id="recent"')[1])
    assert recent == ["3", "2", "1", "0"]  # newest first


@pytest.mark.parametrize("query", ["2", "#2", " 2 "])
def test_an_entry_number_goes_to_its_page(app: Any, world: Any, query: str) -> None:
    response = console_for(app).get("/ledger", query_string={"q": query})
    assert response.status_code == 303
    assert response.headers["Location"] == "/ledger/entries/2"


def test_a_subject_lists_exactly_its_entries(app_factory: Any, backend: str) -> None:
    app = app_factory(backend)
    world = build_world(app)
    made = ledger_entries(world, versions=2)
    console = console_for(app)

    def found(query: str) -> list[str]:
        response = console.get("/ledger", query_string={"q": query})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return re.findall(r'href="/ledger/entries/(\d+)">#',
                          html.split('id="results"')[1].split('id="checkpoint"')[0])

    assert found(made["asset_id"]) == ["0"]
    assert found(made["version_ids"][1]) == [str(made["indexes"][1])]
    assert found(made["asset_id"].upper()) == []  # exact, though SQLite's LIKE ignores case
    assert found("%") == [] and found("_") == []  # LIKE wildcards are matched literally


def test_a_malformed_subject_is_explained(app: Any, world: Any) -> None:
    response = console_for(app).get("/ledger", query_string={"q": 'a"b'})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in html and "printable ASCII" in html


def test_entry_page_shows_the_entry_and_what_the_browser_verifies_with(
        app: Any, world: Any) -> None:
    index = world.ledger["indexes"][1]
    api = world.ok("GET", f"/ledger/entries/{index}")
    before = base64.b64decode(world.ok("GET", f"/ledger/entries/{index - 1}")["entry"])
    fields = api["fields"]
    html = console_for(app).get(f"/ledger/entries/{index}").get_data(as_text=True)
    for name, value in [("kind", fields["kind"]), ("subject", world.ledger["version_ids"][1]),
                        ("org", world["merchant"].org_id), ("user", world["merchant"].user_id),
                        ("ts", fields["ts"]), ("payload_sha256", fields["payload_sha256"])]:
        assert f'data-field="{name}" data-value="{value}"' in html, name
    prev = hashlib.sha256(b"\x00" + before).hexdigest()
    assert fields["prev"] == prev and f'data-field="prev" data-value="{prev}"' in html
    assert api["leaf_hash"] in html
    assert f'data-index="{index}"' in html and 'data-api="/api/v1/ledger"' in html
    assert 'data-origin="test.elx.example/ledger"' in html
    assert f'id="vkey" type="text" class="vkey" value="{_vkey(world)}"' in html
    assert 'id="verify"' in html and 'id="verdict"' in html
    for script in ("crypto/sha256.js", "crypto/sha512.js", "crypto/ed25519.js",
                   "crypto/tlog.js", "ledger.js"):
        assert f'src="/static/{script}"' in html
    messages = json.loads(html.split('id="ledger-messages">')[1].split("</script>")[0])
    assert "verified" in messages["ok"] and "verified" not in messages["failed"]


def test_entry_page_speaks_chinese(app: Any, world: Any) -> None:
    html = console_for(app, lang="zh").get("/ledger/entries/0").get_data(as_text=True)
    assert "在本浏览器中验证" in html
    messages = json.loads(html.split('id="ledger-messages">')[1].split("</script>")[0])
    assert "已验证" in messages["ok"]


def test_unknown_entry_is_404(app: Any, world: Any) -> None:
    response = console_for(app).get("/ledger/entries/999")
    assert response.status_code == 404
    assert "No entry 999; the ledger holds 4." in response.get_data(as_text=True)
    assert console_for(app).get("/ledger/entries/-1").status_code == 404


def test_payload_text_is_rendered_inert(app: Any) -> None:
    world = build_world(app)
    world.ok("POST", "/assets", world["merchant"], status=201,
             json={**ASSET, "title": "<script>alert(1)</script>"})
    html = console_for(app).get("/ledger/entries/0").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
