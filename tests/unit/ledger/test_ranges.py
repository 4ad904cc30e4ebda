"""Verification over processes by claimed ranges (ledger.ranges, ledger.verify.verify_url):
the cuts, the claims shared by the processes, and whole verifications with many ranges."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ledger import ranges
from ledger.cli import main
from ledger.store import LedgerStore
from ledger.verify import verify_database, verify_url
from ledger.walker import LogError
from tests.unit.ledger.test_verify_cli import SIGNER, log  # noqa: F401 (fixture)

Log = tuple[str, sa.Engine, LedgerStore]


@given(size=st.integers(0, 10**7), jobs=st.integers(2, 8))
def test_cuts_cover_the_log_in_increasing_ranges(size: int, jobs: int) -> None:
    cuts = ranges.cuts(size, jobs)
    assert cuts[0] == 0 and cuts[-1] == size
    assert all(a < b for a, b in itertools.pairwise(cuts))
    count = len(cuts) - 1
    assert count <= ranges.RANGES_PER_JOB * jobs
    if count > jobs:  # more ranges than processes only when each is long enough
        assert min(b - a for a, b in itertools.pairwise(cuts)) >= ranges.MIN_RANGE - 1
    if size >= jobs * ranges.RANGES_PER_JOB * ranges.MIN_RANGE:
        assert count == ranges.RANGES_PER_JOB * jobs


@given(
    count=st.integers(0, 40),
    takes=st.lists(st.sampled_from(["front", "back", "fail"]), max_size=80),
    stop_at=st.none() | st.integers(0, 80),
)
def test_claims_hand_out_each_range_once_and_nothing_after_a_failure(
    count: int, takes: list[str], stop_at: int | None
) -> None:
    claims = ranges.Claims.create(count, multiprocessing.get_context("spawn"))
    handed: list[int] = []
    failed: int | None = None
    for step, take in enumerate(takes):
        if step == stop_at:  # the caller gave up: nothing more for anyone
            claims.stop()
            assert (claims.front(), claims.back()) == (None, None)
            return
        if take == "fail":  # the lowest range handed out from the front so far fails
            fronts = [k for k in handed if k < claims.shared[0]]
            if fronts:
                failed = min(fronts) if failed is None else min(failed, *fronts)
                claims.failed(failed)
            continue
        k = claims.front() if take == "front" else claims.back()
        if k is not None:
            handed.append(k)
            assert failed is None or k < failed or take == "back"
    assert len(handed) == len(set(handed))
    while (k := claims.front()) is not None:
        handed.append(k)
    if failed is None:  # nothing failed: every range handed out exactly once
        assert sorted(handed) == list(range(count))
    else:  # the ranges left out all come after the failure
        assert all(k > failed for k in set(range(count)) - set(handed))


@pytest.fixture(params=["fork", "spawn"])
def shared_walk(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> list[int]:
    """Workers forked or spawned; ranges of one entry and up (a 45-entry log is cut in as many
    ranges as processes allow); this process slowed to one range per 50 ms after the first, so
    that the workers, once started, claim ranges too. Returns the ranges this process walked."""
    context = multiprocessing.get_context(request.param)
    monkeypatch.setattr(ranges, "worker_context", lambda: context)
    monkeypatch.setattr(ranges, "MIN_RANGE", 1)
    walked: list[int] = []
    front = ranges.Claims.front

    def slow_front(claims: ranges.Claims) -> int | None:
        if walked:  # the first range at once, then one per 50 ms
            time.sleep(0.05)
        k = front(claims)
        walked.extend([] if k is None else [k])
        return k

    monkeypatch.setattr(ranges.Claims, "front", slow_front)
    return walked


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_verification_in_many_ranges_covers_what_one_walk_covers(
    log: Log,  # noqa: F811
    shared_walk: list[int],
    jobs: int,
) -> None:
    url, engine, _ = log
    with engine.connect() as conn:
        whole = verify_database(conn, [SIGNER.verifier])
    count = len(ranges.cuts(whole.size, jobs)) - 1
    assert count == min(whole.size, 16 * jobs)
    assert verify_url(url, [SIGNER.verifier], jobs=jobs) == whole
    assert 0 < len(shared_walk) < count  # both this process and the workers walked ranges
    assert shared_walk == list(range(len(shared_walk)))  # this one from the front


@pytest.mark.parametrize("bad", [(3, 40), (30, 44), (0, 1), (44,)])
def test_the_earliest_bad_entry_is_reported_whichever_process_finds_it(
    log: Log,  # noqa: F811
    shared_walk: list[int],
    bad: tuple[int, ...],
) -> None:
    url, engine, _ = log
    with engine.begin() as conn:
        for index in bad:
            conn.execute(sa.text(f"UPDATE ledger_entries SET payload = X'00' WHERE idx = {index}"))
    with pytest.raises(LogError) as found:
        verify_url(url, [SIGNER.verifier], jobs=2)
    assert (found.value.index, found.value.problem) == (min(bad), "payload digest mismatch")
    last = len(ranges.cuts(45, 2)) - 2
    assert shared_walk and max(shared_walk) < last  # the last range was the worker's


def test_workers_fork_from_a_single_thread_and_spawn_beside_others() -> None:
    assert ranges.worker_context().get_start_method() == "fork"
    started, stop = threading.Event(), threading.Event()
    other = threading.Thread(target=lambda: (started.set(), stop.wait()))
    other.start()
    try:
        started.wait()
        assert ranges.worker_context().get_start_method() == "spawn"
    finally:
        stop.set()
        other.join()


def test_auto_jobs_is_one_process_per_cpu_with_enough_entries_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ranges.os, "sched_getaffinity", lambda _: {0, 1, 2, 3})
    per = ranges.AUTO_MIN_PER_JOB
    assert [ranges.auto_jobs(n) for n in (0, 45, per - 1, per, 2 * per, 3 * per + 7)] == [
        1, 1, 1, 1, 2, 3,
    ]
    assert ranges.auto_jobs(100 * per) == 4


def test_the_cli_verifies_over_the_cpus_by_default(
    log: Log,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _, _ = log
    monkeypatch.setattr(ranges, "AUTO_MIN_PER_JOB", 16)  # 45 entries: two processes' worth
    monkeypatch.setattr(ranges.os, "sched_getaffinity", lambda _: {0, 1, 2})
    split = []
    cuts = ranges.cuts
    monkeypatch.setattr(ranges, "cuts", lambda size, jobs: split.append(jobs) or cuts(size, jobs))
    assert main(["verify", url, "--key", SIGNER.vkey]) == 0
    assert split == [2] and "OK: elx.test/log: 45 entries" in capsys.readouterr().out
    assert main(["verify", url, "--key", SIGNER.vkey, "--jobs", "1"]) == 0
    assert split == [2]  # one process: no ranges


def test_a_log_with_no_entries_verifies_in_parallel(tmp_path: Path) -> None:
    from ledger.schema import create_tables

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    create_tables(engine)
    report = verify_url(f"sqlite:///{tmp_path / 'empty.db'}", [SIGNER.verifier], jobs=2)
    assert (report.size, report.checkpoints, report.stored_nodes) == (0, 0, 0)
    engine.dispose()
