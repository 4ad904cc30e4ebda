"""Job lifecycle: enqueue, claim atomically, report progress, finish, cancel, recover.

A claim is one transaction that moves the oldest queued job to ``running``: PostgreSQL takes it
with ``FOR UPDATE SKIP LOCKED``, SQLite's ``BEGIN IMMEDIATE`` serialises claimers; so two
workers never run the same job. Every state change goes through :data:`TRANSITIONS`. A job
whose worker died (no heartbeat for ``stale_after`` seconds) is failed by :func:`recover`,
which also lets the job's kind clean up what it may have half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict
from marketplace.ids import new_id
from marketplace.jobs.models import FINAL, TRANSITIONS, Job, JobState


class Cancelled(Exception):
    """Raised inside a handler when its job was cancelled."""


def enqueue(kind: str, org_id: str, user_id: str, params: dict[str, Any]) -> Job:
    """Add a queued job to the current transaction (the caller commits)."""
    job = Job(id=new_id("job"), kind=kind, owner_org_id=org_id, created_by=user_id,
              params=params, state=JobState.queued, cancel_requested=False, rows_done=0,
              created_at=utcnow())
    db.session.add(job)
    return job


def _move(job_id: str, frm: JobState, to: JobState, **values: Any) -> bool:
    """Compare-and-set ``frm`` → ``to`` (a transition of the table); False if the job is no
    longer in ``frm``."""
    if to not in TRANSITIONS[frm]:
        raise ValueError(f"no transition {frm.value} -> {to.value}")
    result = db.session.execute(update(Job).where(Job.id == job_id, Job.state == frm)
                                .values(state=to, **values))
    return result.rowcount == 1


def claim(worker_id: str, kinds: list[str], job_id: str | None = None) -> Job | None:
    """Take the oldest queued job of ``kinds`` (or exactly ``job_id``) and mark it running;
    None when there is none."""
    now = utcnow()
    query = select(Job).where(Job.state == JobState.queued, Job.kind.in_(kinds))
    if job_id is not None:
        query = query.where(Job.id == job_id)
    job = db.session.scalar(
        query.order_by(Job.created_at, Job.id).limit(1).with_for_update(skip_locked=True))
    if job is None:
        db.session.rollback()
        return None
    claimed = _move(job.id, JobState.queued, JobState.running, worker_id=worker_id, started_at=now,
                    heartbeat_at=now)
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(job)
    return job


def report(job_id: str, rows_done: int, rows_total: int | None, step: str | None) -> None:
    """Record progress and a heartbeat; raise :class:`Cancelled` if cancellation was asked."""
    db.session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.running)
                       .values(rows_done=rows_done, rows_total=rows_total,
                               current_step=(step or "")[:120] or None, heartbeat_at=utcnow()))
    wanted = db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
    db.session.commit()
    if wanted:
        raise Cancelled(job_id)


def finish(job_id: str, state: JobState, *, result: dict[str, Any] | None = None,
           error: dict[str, Any] | None = None) -> bool:
    if state not in FINAL:
        raise ValueError(f"{state} is not a final state")
    moved = _move(job_id, JobState.running, state, result=result, error=error, finished_at=utcnow())
    db.session.commit()
    return moved


def request_cancel(job: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    if job.state in FINAL:
        raise Conflict(f"The job is already {job.state.value}.")
    if not _move(job.id, JobState.queued, JobState.cancelled, finished_at=utcnow(),
                 error={"title": "Cancelled", "detail": "Cancelled before it started."}):
        db.session.execute(update(Job).where(Job.id == job.id).values(cancel_requested=True))
    db.session.commit()
    db.session.refresh(job)
    return job


def recover(stale_after: float, cleanup: dict[str, Callable[[Job], None]]) -> list[str]:
    """Fail running jobs whose worker stopped heartbeating; run their kind's cleanup."""
    cutoff = utcnow() - timedelta(seconds=stale_after)
    stale = list(db.session.scalars(select(Job).where(
        Job.state == JobState.running, Job.heartbeat_at < cutoff)))
    failed = []
    for job in stale:
        if _move(job.id, JobState.running, JobState.failed, finished_at=utcnow(), error={
                "title": "Worker stopped", "detail": "The job's worker stopped; nothing of it "
                "was published. Submit it again."}):
            failed.append(job)
    db.session.commit()
    for job in failed:
        if job.kind in cleanup:
            cleanup[job.kind](job)
    return [job.id for job in failed]
