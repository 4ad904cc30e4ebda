"""The public ledger routes: proofs served over HTTP verify against the signed checkpoint, the
HTTP export verifies offline, and bad parameters are clear problem+json errors."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import open_checkpoint
from ledger.merkle import leaf_hash
from ledger.note import Verifier
from ledger.proof import verify_consistency, verify_inclusion
from tests.api.world import ASSET, World, build_world


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    world = build_world(app_factory(backend))
    for i in range(5):
        world.ok("POST", "/assets", world["merchant"], json={**ASSET, "title": f"a{i}"},
                 status=201)
    return world


def _verifiers(world: World) -> list[Verifier]:
    return [Verifier.from_vkey(k["vkey"]) for k in world.ok("GET", "/ledger/public-keys")["keys"]]


def _checkpoint(world: World) -> Any:
    note = world.call("GET", "/ledger/checkpoint")
    assert note.mimetype == "text/plain"
    return open_checkpoint(note.get_data(as_text=True), _verifiers(world))


def test_every_inclusion_proof_verifies_against_the_signed_checkpoint(world: World) -> None:
    checkpoint = _checkpoint(world)
    assert checkpoint.size == 5
    for index in range(checkpoint.size):
        entry = world.ok("GET", f"/ledger/entries/{index}")
        data = base64.b64decode(entry["entry"])
        assert entry["leaf_hash"] == leaf_hash(data).hex()
        assert entry["fields"]["index"] == index
        proof = world.ok("GET", f"/ledger/proofs/inclusion?index={index}&tree_size=5")
        verify_inclusion(leaf_hash(data), index, 5, [base64.b64decode(p) for p in proof["proof"]],
                         checkpoint.root_hash)


def test_consistency_between_old_and_new_checkpoints(world: World) -> None:
    old = _checkpoint(world)
    world.ok("POST", "/assets", world["merchant"], json={**ASSET, "title": "later"}, status=201)
    new = _checkpoint(world)
    proof = world.ok("GET", f"/ledger/proofs/consistency?first={old.size}&second={new.size}")
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                       [base64.b64decode(p) for p in proof["proof"]])


def test_http_export_verifies_offline_and_detects_tampering(world: World, tmp_path: Path) -> None:
    export = world.call("GET", "/ledger/export")
    assert export.status_code == 200
    path = tmp_path / "export.jsonl"
    path.write_bytes(export.get_data())
    vkey = next(k["vkey"] for k in world.ok("GET", "/ledger/public-keys")["keys"]
                if k["role"] == "log" and k["status"] == "current")
    ok = subprocess.run([sys.executable, "-m", "ledger", "verify", str(path), "--key", vkey],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    target = next(line for line in lines if line["type"] == "entry" and line["index"] == 3)
    assert '"a3"' in target["payload"]
    target["payload"] = target["payload"].replace('"a3"', '"a4"')  # the title of asset 3
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    bad = subprocess.run([sys.executable, "-m", "ledger", "verify", str(path), "--key", vkey],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "entry 3" in bad.stdout + bad.stderr


BAD_REQUESTS = [  # (path, expected status)
    ("/ledger/entries/5", 404),
    ("/ledger/entries/-1", 404),
    ("/ledger/entries/abc", 404),
    ("/ledger/proofs/inclusion?index=5&tree_size=5", 422),
    ("/ledger/proofs/inclusion?index=0&tree_size=6", 422),
    ("/ledger/proofs/inclusion?index=0&tree_size=0", 422),
    ("/ledger/proofs/inclusion?index=x&tree_size=1", 422),
    ("/ledger/proofs/inclusion?tree_size=1", 422),
    ("/ledger/proofs/inclusion?index=0&tree_size=1&extra=1", 422),
    ("/ledger/proofs/consistency?first=0&second=5", 422),
    ("/ledger/proofs/consistency?first=4&second=3", 422),
    ("/ledger/proofs/consistency?first=1&second=99", 422),
    ("/ledger/receipts/99", 404),
]


def test_bad_ledger_requests(world: World) -> None:
    """Reading the ledger is read-only, so every bad request runs against one world."""
    for path, status in BAD_REQUESTS:
        response = world.call("GET", path)
        assert response.status_code == status, (path, response.get_json())
        assert response.mimetype == "application/problem+json", path
