"""The records API's token bucket (marketplace.access.ratelimit): never grants more than the
burst plus what the rate refilled, refuses with the wait until the next token, keeps keys
apart, and is exact under threads."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.access.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(rate=st.floats(0.1, 50), burst=st.integers(1, 20),
       steps=st.lists(st.floats(0, 2), min_size=1, max_size=200))
def test_grants_never_exceed_burst_plus_refill(rate: float, burst: int,
                                               steps: list[float]) -> None:
    clock = Clock()
    bucket = TokenBucket(rate, burst, clock)
    granted = 0
    for step in steps:
        clock.now += step
        wait = bucket.take("k")
        if wait == 0:
            granted += 1
        else:
            assert 0 < wait <= 1 / rate + 1e-9
    assert granted <= burst + rate * clock.now + 1e-6


@given(rate=st.floats(0.1, 50), burst=st.integers(1, 20))
def test_a_refused_caller_who_waits_as_told_is_served(rate: float, burst: int) -> None:
    clock = Clock()
    bucket = TokenBucket(rate, burst, clock)
    assert all(bucket.take("k") == 0 for _ in range(burst))
    wait = bucket.take("k")
    assert wait > 0
    clock.now += wait + 1e-9
    assert bucket.take("k") == 0
    assert bucket.take("other") == 0  # keys are independent


def test_exact_under_threads() -> None:
    bucket = TokenBucket(rate=1e-6, burst=25)
    granted, lock = [], threading.Lock()

    def hammer() -> None:
        for _ in range(50):
            if bucket.take("k") == 0:
                with lock:
                    granted.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 25


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_rejects_nonsense_settings(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)
