"""``flask --app marketplace elements build SPEC`` (issue 4 §6): the same build as
``POST /elements``, run in this process with a progress bar.

SPEC is a JSON file holding either a pipeline spec (``{"format": "elx-pipeline/v1", …}``) or a
whole ``POST /elements`` body (``{"spec": …, "element_id": …, "owner_org_id": …}``). The build
acts for the user named by ``--as``: the same authorisation and validation as the API, the same
job row (visible at ``GET /jobs/{id}``), the same handler, so nothing here can publish what the
API would refuse. Exit status 0 on success, 1 when the job fails or is refused (the problem is
printed as JSON on stderr), 130 when interrupted (the job is cancelled, nothing is published).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.accounts.common import principal_for
from marketplace.accounts.models import User
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.jobs.models import FINAL, Job, JobState

POLL_SECONDS = 0.2


def _body(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.BadParameter(f"SPEC is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise click.BadParameter("SPEC must be a JSON object.")
    return doc if "spec" in doc else {"spec": doc}


def _submit(email: str, body: dict[str, Any]) -> str:
    from marketplace.elements import schemas, services
    from marketplace.http import load

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no user {email!r}", param_hint="--as")
    job = services.submit(principal_for(user), load(schemas.BuildIn(), body))
    return job.id


def _line(job: Job) -> str:
    total = max(job.rows_total or 0, job.rows_done)
    pct = 100 * job.rows_done // total if total else 0
    label = (job.current_step or job.state.value)[:40]
    return f"{label:<40} {job.rows_done:>12,}/{total:,} {pct:3d}%"


def _watch(job_id: str) -> tuple[JobState, dict[str, Any] | None]:
    """Draw progress from the job row until the job is final (run here, or by a server's
    worker if one claimed it first): redrawn in place on a terminal, one line per change
    otherwise (logs)."""
    err = sys.stderr
    tty, last = err.isatty(), ""
    while True:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None
        line, state, outcome = _line(job), job.state, job.result or job.error
        db.session.rollback()  # hold no transaction (on SQLite: no write lock) while waiting
        if line != last:
            err.write(("\r" + line) if tty else line + "\n")
            err.flush()
            last = line
        if state in FINAL:
            if tty:
                err.write("\n")
            return state, outcome
        time.sleep(POLL_SECONDS)


def _cancel(job_id: str) -> None:
    from marketplace.jobs import services as jobs

    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is not None and job.state not in FINAL:
        jobs.request_cancel(job)  # commits


def build_command(spec: IO[bytes], email: str) -> None:
    from marketplace.jobs.worker import run_one

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        job_id = _submit(email, _body(spec.read()))
    except DomainError as exc:
        db.session.rollback()
        click.echo(json.dumps(exc.to_problem(), ensure_ascii=False), err=True)
        raise SystemExit(1) from None
    finally:
        db.session.rollback()
    click.echo(f"job {job_id}", err=True)
    runner = threading.Thread(target=run_one, args=(app, "cli", job_id), daemon=True)
    runner.start()
    try:
        state, outcome = _watch(job_id)
    except KeyboardInterrupt:
        _cancel(job_id)
        runner.join()
        click.echo("interrupted: the job was cancelled and nothing was published", err=True)
        raise SystemExit(130) from None
    if state is not JobState.succeeded:
        click.echo(json.dumps(outcome or {"title": state.value}, ensure_ascii=False), err=True)
        raise SystemExit(1)
    click.echo(json.dumps(outcome, ensure_ascii=False))


def register(app: Flask) -> None:
    group = AppGroup("elements", help="Data elements (issue 4).")

    @group.command("build")
    @click.argument("spec", type=click.File("rb"))
    @click.option("--as", "email", required=True, help="E-mail of the merchant user acting.")
    def build(spec: IO[bytes], email: str) -> None:
        """Build an element (or a new version) from SPEC, showing progress."""
        build_command(spec, email)

    app.cli.add_command(group)
