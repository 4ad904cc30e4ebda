"""Worker threads that run queued jobs inside the application (DESIGN.md "Storage and
engines": worker threads + a jobs table, until a real queue is needed).

Each handler gets a :class:`JobContext`; its ``report`` records progress and raises
``Cancelled`` when the job was cancelled. Any other exception fails the job with a generic,
safe error (a :class:`DomainError`'s own problem document is kept: it was written for users).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.jobs import services
from marketplace.jobs.models import Job, JobState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    job_id: str
    kind: str
    owner_org_id: str
    created_by: str
    params: dict[str, Any]

    def report(self, rows_done: int, rows_total: int | None = None,
               step: str | None = None) -> None:
        services.report(self.job_id, rows_done, rows_total, step)


Handler = Callable[[JobContext], dict[str, Any]]


def handlers(app: Flask) -> dict[str, Handler]:
    return app.extensions.setdefault("elx.job_handlers", {})


def register_handler(app: Flask, kind: str, handler: Handler) -> None:
    handlers(app)[kind] = handler


def run_one(app: Flask, worker_id: str, job_id: str | None = None) -> str | None:
    """Claim and run one job (the oldest queued, or ``job_id``); returns its id, or None when
    there was nothing to claim."""
    with app.app_context():
        table = handlers(app)
        job: Job | None = services.claim(worker_id, sorted(table), job_id)
        if job is None:
            return None
        job_id = job.id
        context = JobContext(job_id, job.kind, job.owner_org_id, job.created_by,
                             dict(job.params))
        db.session.rollback()  # hold no transaction (on SQLite: no write lock) while it runs
        try:
            result = table[context.kind](context)
        except services.Cancelled:
            db.session.rollback()
            services.finish(job_id, JobState.cancelled, error={
                "title": "Cancelled", "detail": "Cancelled while running; nothing was published."})
        except DomainError as exc:
            db.session.rollback()
            services.finish(job_id, JobState.failed, error=exc.to_problem())
        except Exception:
            log.exception("job %s failed", job_id)
            db.session.rollback()
            services.finish(job_id, JobState.failed, error={
                "title": "Job failed", "detail": "The job failed unexpectedly; nothing was "
                "published."})
        else:
            services.finish(job_id, JobState.succeeded, result=result)
        finally:
            db.session.remove()
        return job_id


def run_pending(app: Flask, worker_id: str = "inline") -> list[str]:
    """Run queued jobs until none is left (tests and the CLI)."""
    done = []
    while (job_id := run_one(app, worker_id)) is not None:
        done.append(job_id)
    return done


class Worker:
    """``threads`` daemon threads polling the jobs table until :meth:`stop`."""

    def __init__(self, app: Flask, threads: int = 1, poll_seconds: float = 0.5) -> None:
        self.app, self.poll = app, poll_seconds
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, args=(f"{os.getpid()}-{i}",),
                                          daemon=True, name=f"elx-worker-{i}")
                         for i in range(threads)]

    def start(self) -> Worker:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                ran = run_one(self.app, worker_id)
            except Exception:
                log.exception("worker %s: claim failed", worker_id)
                ran = None
            if ran is None:
                self._stop.wait(self.poll)
