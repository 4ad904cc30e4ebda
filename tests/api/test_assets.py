"""Asset registry over HTTP: registration, uploads in every accepted shape and encoding,
certificates that verify offline, and every bad input leaving nothing behind (issue 3, items
5 and 6)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.note import Verifier
from ledger.receipt import verify_receipt
from marketplace.assets.models import Asset, AssetVersion
from marketplace.db import db
from tests.api.world import ASSET, World, build_world

CSV_TEXT = "统一社会信用代码,企业名称,注册资本\n91510600MA6CAKH12X,德阳甲公司,100\n" \
           "91510600MA6CAKH21P,德阳乙公司,250.5\n"


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def _asset(world: World, **overrides: Any) -> str:
    return world.ok("POST", "/assets", world["merchant"], json={**ASSET, **overrides},
                    status=201)["id"]


def _upload(world: World, asset_id: str, data: bytes, content_type: str = "text/csv",
            query: str = "", actor: str = "merchant") -> Any:
    return world.call("POST", f"/assets/{asset_id}/versions{query}", world[actor], data=data,
                      content_type=content_type)


def _counts(world: World) -> tuple[int, int, int]:
    with world.app.app_context():
        versions = db.session.scalar(select(func.count()).select_from(AssetVersion))
    blobs = Path(world.app.extensions["elx.blobs"].root)
    files = [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else []
    ledger_size = world.call("GET", "/ledger/checkpoint").get_data(as_text=True).split("\n")[1]
    return versions, len(files), int(ledger_size)


def _vkey(world: World) -> str:
    keys = world.ok("GET", "/ledger/public-keys")["keys"]
    return next(k["vkey"] for k in keys if k["status"] == "current" and k["role"] == "log")


# ----------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_is_detected_and_profiled(world: World, encoding: str) -> None:
    asset_id = _asset(world)
    response = _upload(world, asset_id, CSV_TEXT.encode(encoding))
    assert response.status_code == 201, response.get_json()
    version = response.get_json()
    assert version["row_count"] == 2
    assert [c["name"] for c in version["columns"]] == ["统一社会信用代码", "企业名称", "注册资本"]
    assert version["version"] == 1
    assert version["format"] == "csv"
    raw = CSV_TEXT.encode(encoding)
    import hashlib

    assert version["sha256"] == hashlib.sha256(raw).hexdigest()
    assert version["size"] == len(raw)


def test_declared_encoding_through_content_type(world: World) -> None:
    asset_id = _asset(world)
    response = _upload(world, asset_id, CSV_TEXT.encode("gbk"), "text/csv; charset=GBK")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["encoding_source"] == "declared"


def test_multipart_upload(world: World) -> None:
    asset_id = _asset(world)
    boundary = "elxboundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"companies.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() \
        + CSV_TEXT.encode("gb18030") + f"\r\n--{boundary}--\r\n".encode()
    response = _upload(world, asset_id, body, f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["filename"] == "companies.csv"
    assert response.get_json()["row_count"] == 2


def test_versions_are_numbered_and_immutable(world: World) -> None:
    asset_id = _asset(world)
    first = _upload(world, asset_id, CSV_TEXT.encode()).get_json()
    second = _upload(world, asset_id, (CSV_TEXT + "91510600MA6CAKH30L,丙,1\n").encode())
    assert second.status_code == 201
    listed = world.ok("GET", f"/assets/{asset_id}/versions", world["merchant"])["items"]
    assert [v["version"] for v in listed] == [1, 2]
    assert listed[0] == first  # the first version is unchanged by the second upload
    assert world.call("PUT", f"/assets/{asset_id}/versions", world["merchant"]).status_code == 405


def test_certificate_verifies_offline_and_binds_the_content(world: World, tmp_path: Path) -> None:
    asset_id = _asset(world)
    version = _upload(world, asset_id, CSV_TEXT.encode("gbk")).get_json()
    cert = world.ok("GET", f"/assets/{asset_id}/certificate", world["merchant"])
    assert cert["sha256"] == version["sha256"]
    entry = verify_receipt(cert["receipt"], [Verifier.from_vkey(_vkey(world))])
    payload = json.loads(base64.b64decode(cert["receipt"]["payload"]))
    assert entry.kind == "asset.version.registered"
    assert payload["sha256"] == version["sha256"]
    assert payload["owner_org"] == world["merchant"].org_id
    # and through the CLI, with no database and no network
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(cert["receipt"]))
    ok = subprocess.run([sys.executable, "-m", "ledger", "verify-receipt", str(path), "--key",
                         _vkey(world)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    forged = dict(cert["receipt"])
    forged["payload"] = base64.b64encode(
        json.dumps({**payload, "owner_org": "org_attacker"}).encode()).decode()
    path.write_text(json.dumps(forged))
    bad = subprocess.run([sys.executable, "-m", "ledger", "verify-receipt", str(path), "--key",
                          _vkey(world)], capture_output=True, text=True)
    assert bad.returncode != 0


def test_list_assets_is_scoped_and_paginated(world: World) -> None:
    ids = sorted(_asset(world, title=f"asset {i}") for i in range(5))
    page = world.ok("GET", "/assets?limit=2", world["merchant"])
    seen = [a["id"] for a in page["items"]]
    while page["next_cursor"]:
        page = world.ok("GET", f"/assets?limit=2&cursor={page['next_cursor']}",
                        world["merchant"])
        seen += [a["id"] for a in page["items"]]
    assert seen == ids
    assert world.ok("GET", "/assets", world["rival"])["items"] == []
    assert len(world.ok("GET", "/assets", world["auditor"])["items"]) == 5


# ----------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("body, status", [
    ({**ASSET, "classification": "secret"}, 422),
    ({**ASSET, "contains_personal_info": "yes"}, 422),
    ({**ASSET, "title": 42}, 422),
    ({**ASSET, "unknown_field": 1}, 422),
    ({**ASSET, "tags": ["x" * 33]}, 422),
    ({**ASSET, "time_coverage": {"start": "2026-01-02", "end": "2025-01-01"}}, 422),
    ({k: v for k, v in ASSET.items() if k != "title"}, 422),
])
def test_bad_asset_metadata_is_rejected_per_field(world: World, body: dict[str, Any],
                                                   status: int) -> None:
    before = _counts(world)
    response = world.call("POST", "/assets", world["merchant"], json=body)
    assert response.status_code == status
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["errors"], problem
    assert _counts(world) == before
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_malformed_json_asset(world: World) -> None:
    response = world.call("POST", "/assets", world["merchant"], data=b'{"title": ',
                          content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def _assert_rejected(world: World, response: Any, status: int, before: tuple[int, int, int],
                     needle: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    if needle:
        assert needle in json.dumps(problem, ensure_ascii=False)
    assert _counts(world) == before, "a failed upload left rows, blobs or ledger entries"
    text = json.dumps(problem, ensure_ascii=False)
    assert "Traceback" not in text and "/blobs/" not in text and "duckdb" not in text.lower()
    return problem


def test_oversize_upload_is_413_and_leaves_nothing(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    limit = world.app.config["MAX_UPLOAD_BYTES"]
    body = ("a,b\n" + "1,2\n" * (limit // 4 + 10)).encode()
    _assert_rejected(world, _upload(world, asset_id, body), 413, before)


def test_gbk_declared_as_utf8_names_the_line(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    body = ("name,city\nalice,deyang\n" + "张三,德阳\n").encode("gbk")
    problem = _assert_rejected(world, _upload(world, asset_id, body, "text/csv; charset=utf-8"),
                               422, before)
    assert problem.get("line") == 3 or "line 3" in problem["detail"], problem


def test_ragged_csv_names_the_line(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    body = b"a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n"
    problem = _assert_rejected(world, _upload(world, asset_id, body), 422, before)
    assert problem.get("line") == 4 or "line 4" in problem["detail"], problem


def test_truncated_multipart_is_rejected(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    boundary = "elxboundaryTRUNC"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + CSV_TEXT.encode()
    _assert_rejected(world, _upload(world, asset_id, body,
                                    f"multipart/form-data; boundary={boundary}"), 400, before)


@pytest.mark.parametrize("body, content_type, status", [
    (b"", "text/csv", 422),
    (b"\x00\x01\x02garbage\xff\xfe", "application/octet-stream", 415),
    (b"a,b\n1,2\n", "image/png", 415),
    (b"a,b\n1,2\n", "multipart/form-data", 400),
    (b'{"a": 1}\n{"a": \n', "application/x-ndjson", 422),
])
def test_bad_uploads(world: World, body: bytes, content_type: str, status: int) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    _assert_rejected(world, _upload(world, asset_id, body, content_type), status, before)


def test_unknown_query_values_are_rejected(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    response = _upload(world, asset_id, CSV_TEXT.encode(), query="?encoding=latin-1")
    _assert_rejected(world, response, 422, before)


def test_pending_organisation_cannot_register(world: World) -> None:
    response = world.call("POST", "/assets", world["pending"],
                          json={**ASSET, "owner_org_id": world["pending"].org_id})
    assert response.status_code == 403
    implicit = world.call("POST", "/assets", world["pending"], json=ASSET)
    assert implicit.status_code == 403  # no approved merchant organisation to act for


def test_concurrent_uploads_get_distinct_versions_and_ledger_entries(world: World) -> None:
    """Racing uploads to one asset: versions 1..n, each with its own ledger entry."""
    import threading

    asset_id = _asset(world)
    statuses: list[int] = []

    def upload(i: int) -> None:
        client = world.app.test_client()
        response = client.post(f"/api/v1/assets/{asset_id}/versions", headers=world[
            "merchant"].headers(), data=(CSV_TEXT + f"x{i},y,{i}\n").encode(),
            content_type="text/csv")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [201] * 6
    versions = world.ok("GET", f"/assets/{asset_id}/versions", world["merchant"])["items"]
    assert sorted(v["version"] for v in versions) == [1, 2, 3, 4, 5, 6]
    assert len({v["ledger_index"] for v in versions}) == 6


@pytest.mark.parametrize("path", ["/assets/%00", "/assets?cursor=%00", "/assets/ast_x%01/versions",
                                  "/organizations/%00"])
def test_control_characters_in_urls_are_400(world: World, path: str) -> None:
    response = world.call("GET", path, world["merchant"])
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("field", ["title", "source", "domain", "area_coverage"])
def test_nul_and_control_characters_in_text_are_422(world: World, field: str) -> None:
    response = world.call("POST", "/assets", world["merchant"], json={**ASSET, field: "a\x00b"})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_declared_length_above_the_limit_is_refused_before_reading(world: World) -> None:
    asset_id = _asset(world)
    before = _counts(world)
    limit = world.app.config["MAX_UPLOAD_BYTES"]

    class Endless:
        """A body that never ends: the 413 comes from Content-Length alone (Werkzeug may still
        drain the declared length after the response; nothing of it is stored)."""

        def read(self, n: int = -1) -> bytes:
            return b"a,b\n" * 1024

    response = world.call("POST", f"/assets/{asset_id}/versions", world["merchant"],
                          content_type="text/csv", environ_overrides={
                              "wsgi.input": Endless(), "CONTENT_LENGTH": str(limit + 1)})
    problem = _assert_rejected(world, response, 413, before)
    assert str(limit) in problem["detail"]
