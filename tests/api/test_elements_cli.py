"""``flask elements build SPEC`` (issue 4 §6): the same authorisation, validation, job and
publication as ``POST /elements``, run in-process with a progress bar."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.demo import generate, write_csv
from marketplace.elements.models import ElementVersion
from marketplace.jobs.models import Job, JobState
from tests.api.test_elements import _spec, _upload
from tests.api.world import World, build_world


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


@pytest.fixture
def version_id(world: World) -> str:
    buffer = io.BytesIO()
    write_csv(generate("hotline", 300), buffer)
    return _upload(world, "merchant", buffer.getvalue())["id"]


def _run(app: Flask, tmp_path: Path, doc: object, email: str) -> tuple[int, str, str]:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["elements", "build", str(path), "--as", email])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _versions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ElementVersion)) or 0


def test_cli_builds_the_same_version_as_the_api(world: World, version_id: str,
                                                tmp_path: Path) -> None:
    spec = _spec(version_id)
    code, out, err = _run(world.app, tmp_path, spec, world["merchant"].email)
    assert code == 0, err
    result = json.loads(out)
    assert "job " in err and "%" in err  # the progress bar was drawn
    with world.app.app_context():
        version = db.session.get(ElementVersion, result["version_id"])
        assert version is not None and version.element_id == result["element_id"]
        assert version.row_count > 0
        job = db.session.scalar(select(Job).order_by(Job.created_at.desc()))
        assert job is not None and job.state is JobState.succeeded
    # The API, given the same spec for that element, finds the same version (deterministic id).
    job = world.ok("POST", "/elements", world["merchant"], status=201,
                   json={"spec": spec, "element_id": result["element_id"]})
    from marketplace.jobs.worker import run_pending
    run_pending(world.app)
    done = world.ok("GET", f"/jobs/{job['id']}", world["merchant"])
    assert done["result"]["version_id"] == result["version_id"]
    assert _versions(world.app) == 1


def test_cli_accepts_a_whole_request_body(world: World, version_id: str, tmp_path: Path) -> None:
    body = {"spec": _spec(version_id), "owner_org_id": world["merchant"].org_id}
    code, out, err = _run(world.app, tmp_path, body, world["member"].email)
    assert code == 0, err
    assert json.loads(out)["element_id"].startswith("elm")


@pytest.mark.parametrize("actor", ["rival", "buyer", "outsider"])
def test_cli_applies_the_api_authorisation(world: World, version_id: str, tmp_path: Path,
                                           actor: str) -> None:
    code, out, err = _run(world.app, tmp_path, _spec(version_id), world[actor].email)
    assert code == 1 and out == ""
    problem = json.loads(err.strip().splitlines()[-1])
    assert problem["status"] == 403
    assert _versions(world.app) == 0


def test_cli_reports_spec_errors_with_the_step_index(world: World, version_id: str,
                                                     tmp_path: Path) -> None:
    spec = _spec(version_id, steps=[{"type": "select", "columns": ["no_such_column"]}])
    code, _out, err = _run(world.app, tmp_path, spec, world["merchant"].email)
    problem = json.loads(err.strip().splitlines()[-1])
    assert code == 1 and problem["status"] == 422
    assert any(key.startswith("steps.0") for key in problem["errors"])
    assert _versions(world.app) == 0


def test_cli_rejects_unknown_users_and_bad_json(world: World, tmp_path: Path) -> None:
    code, _out, err = _run(world.app, tmp_path, {"format": "x"}, "nobody@example.org")
    assert code == 2 and "no user" in err
    path = tmp_path / "bad.json"
    path.write_bytes(b"{not json")
    result = world.app.test_cli_runner().invoke(
        args=["elements", "build", str(path), "--as", world["merchant"].email])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr


def test_a_failing_build_exits_1_and_publishes_nothing(world: World, version_id: str,
                                                       tmp_path: Path) -> None:
    """The PII gate refuses an output that still holds phone numbers and ID numbers."""
    spec = _spec(version_id, steps=[])
    code, out, err = _run(world.app, tmp_path, spec, world["merchant"].email)
    assert code == 1 and out == ""
    assert json.loads(err.strip().splitlines()[-1])["status"] == 422
    assert _versions(world.app) == 0
