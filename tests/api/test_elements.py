"""Elements end to end (issue 4 §6–8 and its acceptance): demo hotline tickets uploaded as an
asset version become an element through ``POST /elements`` and the job handler; the published
output holds no resident ID or mobile number (independent regex + GB 11643 checksum scan here),
every quasi-identifier class has >= 5 rows, the ledger receipt verifies, and the same build is
the same version. Bad specs, foreign inputs, cancellation, the PII gate and crashes publish
nothing and leave no blob behind."""

from __future__ import annotations

import base64
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger.note import Verifier
from ledger.receipt import verify_receipt
from marketplace.db import db
from marketplace.demo import generate, is_valid_resident_id, write_csv
from marketplace.elements.models import Element, ElementVersion
from marketplace.jobs.worker import run_pending
from marketplace.pipeline.spec import FORMAT
from tests.api.world import ASSET, World, build_world

ROWS = 2000
# Independent of marketplace.pipeline.pii: plain regexes + the GB 11643-1999 checksum (from the
# demo generator's own validator), on digit runs not inside a longer letter/digit run.
ID_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def hotline_csv() -> bytes:
    buffer = io.BytesIO()
    write_csv(generate("hotline", ROWS), buffer)
    return buffer.getvalue()


def _upload(world: World, actor: str, data: bytes) -> dict[str, Any]:
    asset = world.ok("POST", "/assets", world[actor], status=201,
                     json={**ASSET, "title": "12345 热线工单", "domain": "government"})
    return world.ok("POST", f"/assets/{asset['id']}/versions?filename=hotline.csv",
                    world[actor], data=data, content_type="text/csv", status=201)


def _spec(version_id: str, steps: list[dict[str, Any]] | None = None,
          **element: Any) -> dict[str, Any]:
    default = [
        {"type": "normalise_text", "columns": ["body"], "ops": ["halfwidth", "trim"]},
        {"type": "redact_pii", "columns": ["body"]},
        {"type": "generalise", "column": "received_at", "method": "date_to_month",
         "as": "month"},
        {"type": "keyed_hash", "columns": ["ticket_id"]},
        {"type": "k_anonymity", "max_suppression": 0.05},
    ]
    settings = {"title": "12345 热线工单（脱敏）", "description": "Hotline tickets, desensitised",
                "column_descriptions": {"district": "区县", "body": "诉求内容（已脱敏）"},
                "quasi_identifiers": ["district", "category", "month"], "k": 5, **element}
    if steps is not None and "quasi_identifiers" not in element:
        settings.pop("quasi_identifiers")
        settings.pop("k")
    return {"format": FORMAT, "inputs": [{"alias": "t", "version_id": version_id}],
            "steps": default if steps is None else steps, "element": settings}


def _build(world: World, spec: dict[str, Any], actor: str = "merchant",
           **extra: Any) -> dict[str, Any]:
    job = world.ok("POST", "/elements", world[actor], json={"spec": spec, **extra}, status=201)
    assert job["state"] == "queued" and job["result"] is None
    assert run_pending(world.app) == [job["id"]]
    return world.ok("GET", f"/jobs/{job['id']}", world[actor])


def _blobs(world: World) -> set[str]:
    return set(world.app.extensions["elx.blobs"].digests())


def _counts(world: World) -> tuple[int, int]:
    with world.app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Element)),
                db.session.scalar(select(func.count()).select_from(ElementVersion)))


def _vkey(world: World) -> str:
    keys = world.ok("GET", "/ledger/public-keys")["keys"]
    return next(k["vkey"] for k in keys if k["status"] == "current" and k["role"] == "log")


@pytest.fixture
def world(app_factory: Any, backend: str) -> World:
    return build_world(app_factory(backend))


def test_hotline_element_end_to_end(world: World, hotline_csv: bytes) -> None:
    version = _upload(world, "merchant", hotline_csv)
    job = _build(world, _spec(version["id"]))
    assert job["state"] == "succeeded", job["error"]
    assert job["finished_at"] is not None and job["current_step"] == "publish"
    element_id, version_id = job["result"]["element_id"], job["result"]["version_id"]

    element = world.ok("GET", f"/elements/{element_id}", world["member"])
    latest = element["latest"]
    assert element["title"] == "12345 热线工单（脱敏）" and latest["id"] == version_id
    assert latest["inputs"] == [{"alias": "t", "version_id": version["id"],
                                 "sha256": version["normalized_sha256"]}]
    schema = {c["name"]: c for c in latest["schema"]}
    assert schema["district"]["description"] == "区县" and "month" in schema
    assert set(latest["delivery_modes"]) == {"records_api", "sandbox"}

    path = world.app.extensions["elx.blobs"].local_path(latest["output_sha256"])
    cursor = duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert len(rows) == latest["row_count"] > 0.9 * ROWS
    assert job["rows_done"] == job["rows_total"] == len(rows)
    for row in rows:
        for value in row.values():
            text = str(value)
            assert not [m for m in ID_RE.findall(text) if is_valid_resident_id(m)], text
            assert not MOBILE_RE.search(text), text
    classes = Counter((r["district"], r["category"], r["month"]) for r in rows)
    assert min(classes.values()) >= 5
    assert latest["k_anonymity"][0]["smallest_class"] == min(classes.values())
    assert latest["pii"]["columns"]["body"]["rows"] == len(rows)

    sample = world.ok("GET", f"/elements/{element_id}/sample", world["operator"])
    assert 0 < len(sample["rows"]) <= 20 and sample["columns"] == names
    assert all(r in [{k: _plain(v) for k, v in row.items()} for row in rows]
               for r in sample["rows"])
    quality = world.ok("GET", f"/elements/{element_id}/quality?version=1", world["merchant"])
    assert quality["quality"]["score"] == latest["quality_score"]
    assert 0 <= quality["quality"]["score"] <= 100

    receipt = world.ok("GET", f"/ledger/receipts/{latest['ledger_index']}")
    entry = verify_receipt(receipt, [Verifier.from_vkey(_vkey(world))])
    payload = json.loads(base64.b64decode(receipt["payload"]))
    assert entry.kind == "element.version.created"
    assert payload["version_id"] == version_id
    assert payload["output_sha256"] == latest["output_sha256"]
    assert payload["spec_hash"] == latest["spec_hash"]
    assert payload["inputs"] == latest["inputs"]
    assert float(payload["quality"]["score"]) == pytest.approx(latest["quality_score"], abs=0.01)
    assert payload["engine_version"] == latest["engine_version"]

    blobs = _blobs(world)
    again = _build(world, _spec(version["id"]), element_id=element_id)
    assert again["result"] == job["result"]  # same inputs + spec + engine ⇒ same version
    versions = world.ok("GET", f"/elements/{element_id}/versions", world["merchant"])
    assert [v["id"] for v in versions["items"]] == [version_id]
    assert _blobs(world) == blobs
    for outsider in ("rival", "buyer", "outsider"):
        assert world.call("GET", f"/elements/{element_id}", world[outsider]).status_code == 404
        assert world.call("GET", f"/jobs/{job['id']}", world[outsider]).status_code == 404


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def test_a_changed_spec_is_a_new_version_of_the_element(world: World,
                                                         hotline_csv: bytes) -> None:
    version = _upload(world, "merchant", hotline_csv)
    first = _build(world, _spec(version["id"]))
    element_id = first["result"]["element_id"]
    second = _build(world, _spec(version["id"], k=6), element_id=element_id)
    assert second["state"] == "succeeded", second["error"]
    assert second["result"]["element_id"] == element_id
    assert second["result"]["version_id"] != first["result"]["version_id"]
    items = world.ok("GET", f"/elements/{element_id}/versions", world["merchant"])["items"]
    assert [v["version"] for v in items] == [1, 2]
    assert items[1]["k_anonymity"][0]["k"] == 6
    assert world.ok("GET", f"/elements/{element_id}", world["merchant"])["latest_version"] == 2


def test_bad_specs_are_refused_with_the_step_index(world: World, hotline_csv: bytes) -> None:
    mine = _upload(world, "merchant", hotline_csv)["id"]
    theirs = _upload(world, "rival", hotline_csv)["id"]
    unknown = world.call("POST", "/elements", world["merchant"], json={"spec": _spec(mine, [
        {"type": "select", "columns": ["district"]}, {"type": "teleport"}])})
    assert unknown.status_code == 422
    assert "steps.1.type" in unknown.get_json()["errors"]
    wrong = world.call("POST", "/elements", world["merchant"], json={"spec": _spec(mine, [
        {"type": "select", "columns": ["district", "distrcit"]}])})
    assert wrong.status_code == 422
    assert [k for k in wrong.get_json()["errors"] if k.startswith("steps.0")]
    foreign = world.call("POST", "/elements", world["merchant"], json={"spec": _spec(theirs)})
    assert foreign.status_code == 403
    assert "inputs.0.version_id" in foreign.get_json()["errors"]
    buyer = world.call("POST", "/elements", world["buyer"], json={"spec": _spec(mine)})
    assert buyer.status_code == 403
    assert _counts(world) == (0, 0) and run_pending(world.app) == []


def test_cancelling_a_queued_job_publishes_nothing(world: World, hotline_csv: bytes) -> None:
    version = _upload(world, "merchant", hotline_csv)
    job = world.ok("POST", "/elements", world["merchant"], json={"spec": _spec(version["id"])},
                   status=201)
    assert world.call("POST", f"/jobs/{job['id']}/cancel", world["rival"]).status_code == 404
    assert world.call("POST", f"/jobs/{job['id']}/cancel", world["auditor"]).status_code == 403
    cancelled = world.ok("POST", f"/jobs/{job['id']}/cancel", world["member"])
    assert cancelled["state"] == "cancelled" and cancelled["result"] is None
    assert run_pending(world.app) == []
    assert world.call("POST", f"/jobs/{job['id']}/cancel", world["merchant"]).status_code == 409
    assert _counts(world) == (0, 0)


def test_direct_identifiers_left_in_the_output_block_publishing(world: World,
                                                                hotline_csv: bytes) -> None:
    version = _upload(world, "merchant", hotline_csv)
    before = _blobs(world)
    keep_body = [{"type": "select", "columns": ["district", "body"]}]
    job = _build(world, _spec(version["id"], keep_body))
    assert job["state"] == "failed"
    assert job["error"]["status"] == 422 and "output.body" in job["error"]["errors"]
    assert _counts(world) == (0, 0) and _blobs(world) == before
    licensed = _build(world, _spec(version["id"], keep_body, licensed_personal_data=[
        {"column": "body", "legal_basis": "consent", "note": "callers agreed"}]))
    assert licensed["state"] == "succeeded", licensed["error"]
    latest = world.ok("GET", f"/elements/{licensed['result']['element_id']}",
                      world["merchant"])["latest"]
    assert latest["pii"]["licensed_personal_data"][0]["legal_basis"] == "consent"
    assert "mobile" in latest["pii"]["columns"]["body"]["kinds"]


def test_a_crash_while_publishing_leaves_no_version_and_no_blob(
        world: World, hotline_csv: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    import marketplace.ledger_api.services as ledger

    version = _upload(world, "merchant", hotline_csv)
    before = _blobs(world)

    def crash(*_: Any, **__: Any) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger, "record", crash)
    job = _build(world, _spec(version["id"]))
    assert job["state"] == "failed" and "fire" not in json.dumps(job["error"])
    assert _counts(world) == (0, 0) and _blobs(world) == before
    assert not list((Path(world.app.config["VAR_DIR"]) / "jobs").glob("*/*"))


def exercise_routes(world: World) -> None:
    """Every element and job operation once with a 2xx (for the contract round trip in
    test_openapi.py, which requires every documented operation to succeed at least once)."""
    data = "区县,类别\n旌阳区,交通\n".encode()
    version = _upload(world, "merchant", data)
    spec = _spec(version["id"], [], title="区县类别")
    spec["element"].pop("column_descriptions")
    queued = world.ok("POST", "/elements", world["merchant"], json={"spec": spec}, status=201)
    world.ok("POST", f"/jobs/{queued['id']}/cancel", world["merchant"])
    job = _build(world, spec)
    assert job["state"] == "succeeded", job["error"]
    element = job["result"]["element_id"]
    for path in ("", "/versions", "/quality", "/sample"):
        world.ok("GET", f"/elements/{element}{path}", world["merchant"])


def test_every_route_answers_for_its_owner(world: World) -> None:
    exercise_routes(world)
    assert _counts(world) == (1, 1)


def test_recovery_after_a_dead_worker_removes_its_unpublished_output(
        app_factory: Any, hotline_csv: bytes) -> None:
    """A worker that died after storing the output but before publishing: ``recover`` fails
    the job and the cleanup hook deletes the parked blob and the work directory."""
    from marketplace.clock import FakeClock
    from marketplace.jobs import services as jobs
    from marketplace.jobs.models import Job, JobState

    clock = FakeClock()
    world = build_world(app_factory(CLOCK=clock))
    version = _upload(world, "merchant", hotline_csv)
    job = world.ok("POST", "/elements", world["merchant"], json={"spec": _spec(version["id"])},
                   status=201)
    app, store = world.app, world.app.extensions["elx.blobs"]
    with app.app_context():
        with store.writer(1 << 20) as writer:
            writer.write(b"half-published output")
            orphan = writer.commit().sha256
        assert jobs.claim("dead-worker", ["element.build"]).id == job["id"]
        db.session.get(Job, job["id"]).result = {"pending_output_sha256": orphan}
        db.session.commit()
        work = Path(app.config["VAR_DIR"]) / "jobs" / job["id"]
        work.mkdir(parents=True)
        clock.advance(app.config["JOB_STALE_SECONDS"] + 1)
        assert jobs.recover(app.config["JOB_STALE_SECONDS"],
                            app.extensions["elx.job_cleanup"]) == [job["id"]]
        assert db.session.get(Job, job["id"]).state is JobState.failed
    assert not store.exists(orphan) and not work.exists()
    assert version["normalized_sha256"] in _blobs(world)  # referenced blobs stay
    assert _counts(world) == (0, 0)


@settings(max_examples=50, deadline=None)
@given(a=st.text(min_size=1, max_size=24), b=st.text(min_size=1, max_size=24),
       key=st.text(min_size=1, max_size=64))
def test_element_secrets_are_stable_per_element_and_distinct_between_elements(
        a: str, b: str, key: str) -> None:
    from marketplace.elements.handler import element_secret

    assert element_secret(key, a) == element_secret(key, a)
    assert len(element_secret(key, a)) == 32
    assert (element_secret(key, a) == element_secret(key, b)) is (a == b)
    assert element_secret(key, a) != element_secret(key + "x", a)


def test_with_worker_threads_the_service_builds_in_the_background(
        app_factory: Any, hotline_csv: bytes) -> None:
    import threading

    world = build_world(app_factory(WORKER_THREADS=1))
    try:
        version = _upload(world, "merchant", hotline_csv)
        job = world.ok("POST", "/elements", world["merchant"],
                       json={"spec": _spec(version["id"])}, status=201)
        for _ in range(1200):  # up to a minute; the job itself takes about a second
            state = world.ok("GET", f"/jobs/{job['id']}", world["merchant"])
            if state["state"] not in ("queued", "running"):
                break
            threading.Event().wait(0.05)
        assert state["state"] == "succeeded", state
        assert _counts(world) == (1, 1)
    finally:
        world.app.extensions["elx.worker"].stop()
