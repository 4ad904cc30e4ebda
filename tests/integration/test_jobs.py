"""Background jobs: one claim per job under concurrency, every job run exactly once,
cancellation, safe failures and recovery after a worker died."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.clock import FakeClock
from marketplace.db import db
from marketplace.jobs import services
from marketplace.jobs.models import Job, JobState
from marketplace.jobs.worker import JobContext, Worker, register_handler, run_one, run_pending
from tests.api.world import build_world


@pytest.fixture
def app(app_factory: Any, backend: str) -> Any:
    app = app_factory(backend)
    world = build_world(app)
    app.config["TEST_ORG"] = world["merchant"].org_id
    app.config["TEST_USER"] = world["merchant"].user_id
    return app


def _enqueue(app: Any, n: int, kind: str = "test.echo", **params: Any) -> list[str]:
    with app.app_context():
        jobs = [services.enqueue(kind, app.config["TEST_ORG"], app.config["TEST_USER"],
                                 {"n": i, **params}) for i in range(n)]
        db.session.commit()
        return [j.id for j in jobs]


def _states(app: Any) -> dict[str, JobState]:
    with app.app_context():
        return {j.id: j.state for j in db.session.scalars(select(Job))}


def test_each_job_runs_exactly_once_with_several_workers(app: Any) -> None:
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def echo(ctx: JobContext) -> dict[str, Any]:
        with lock:
            runs[ctx.job_id] += 1
        ctx.report(1, 1, "echo")
        return {"n": ctx.params["n"]}

    register_handler(app, "test.echo", echo)
    ids = _enqueue(app, 30)
    workers = [Worker(app, threads=2, poll_seconds=0.01).start() for _ in range(2)]
    try:
        for _ in range(600):
            if all(s is JobState.succeeded for s in _states(app).values()):
                break
            threading.Event().wait(0.05)
    finally:
        for worker in workers:
            worker.stop()
    assert set(runs) == set(ids)
    assert set(runs.values()) == {1}
    with app.app_context():
        results = {j.id: j.result for j in db.session.scalars(select(Job))}
    assert sorted(r["n"] for r in results.values()) == list(range(30))


def test_a_failing_job_is_failed_with_a_safe_message(app: Any) -> None:
    def boom(ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError("SELECT secret FROM vault /var/blobs/ab")

    register_handler(app, "test.boom", boom)
    (job_id,) = _enqueue(app, 1, kind="test.boom")
    assert run_pending(app) == [job_id]
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.state is JobState.failed
        assert "secret" not in str(job.error) and "/var" not in str(job.error)
        assert job.finished_at is not None


def test_cancel_queued_and_running_jobs(app: Any) -> None:
    started = threading.Event()
    release = threading.Event()

    def slow(ctx: JobContext) -> dict[str, Any]:
        started.set()
        release.wait(10)
        ctx.report(5, 10, "halfway")  # sees the cancellation request here
        return {"should": "not be stored"}

    register_handler(app, "test.slow", slow)
    queued_id, running_id = _enqueue(app, 2, kind="test.slow")
    with app.app_context():
        services.request_cancel(db.session.get(Job, queued_id))
    assert _states(app)[queued_id] is JobState.cancelled
    thread = threading.Thread(target=run_one, args=(app, "w1"))
    thread.start()
    assert started.wait(10)
    with app.app_context():
        services.request_cancel(db.session.get(Job, running_id))
    release.set()
    thread.join(10)
    with app.app_context():
        job = db.session.get(Job, running_id)
        assert job.state is JobState.cancelled
        assert job.result is None
        with pytest.raises(Exception, match="already"):
            services.request_cancel(job)


def test_recovery_fails_jobs_of_a_dead_worker_and_cleans_up(app_factory: Any) -> None:
    clock = FakeClock()
    app = app_factory(CLOCK=clock)
    world = build_world(app)
    app.config.update(TEST_ORG=world["merchant"].org_id, TEST_USER=world["merchant"].user_id)
    (job_id,) = _enqueue(app, 1, kind="test.crash")
    cleaned: list[str] = []
    with app.app_context():
        assert services.claim("dead-worker", ["test.crash"]).id == job_id  # then it "dies"
        clock.advance(30)
        assert services.recover(60, {"test.crash": lambda j: cleaned.append(j.id)}) == []
        clock.current += timedelta(seconds=61)
        assert services.recover(60, {"test.crash": lambda j: cleaned.append(j.id)}) == [job_id]
        job = db.session.get(Job, job_id)
        assert job.state is JobState.failed
        assert not services.finish(job_id, JobState.succeeded)  # final states are final
    assert cleaned == [job_id]


def test_two_claimers_never_get_the_same_job(app: Any) -> None:
    (job_id,) = _enqueue(app, 1, kind="test.once")
    got: list[Any] = []
    barrier = threading.Barrier(4)

    def claimer(i: int) -> None:
        barrier.wait()
        with app.app_context():
            job = services.claim(f"w{i}", ["test.once"])
            got.append(job.id if job else None)
            db.session.remove()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(got, key=str) == sorted([job_id, None, None, None], key=str)
