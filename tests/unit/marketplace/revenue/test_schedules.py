"""Fee schedules over time (issue 6 §3): the version in force at t, and sales split by it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.revenue.journal import post_sale
from marketplace.revenue.schedules import add_schedule, schedule_in_force
from tests.unit.marketplace.revenue.conftest import MERCHANTS, T0

LATER = T0 + timedelta(days=30)


def _two_versions() -> tuple[str, str]:
    first = add_schedule(currency="CNY", effective_from=T0, platform_bps=1000,
                         public_service_bps=500, minimum_fee_fen=100)
    second = add_schedule(currency="CNY", effective_from=LATER, platform_bps=800,
                          public_service_bps=200, minimum_fee_fen=0)
    return first.id, second.id


def test_the_schedule_in_force_is_the_latest_started_version(books: Flask) -> None:
    first, second = _two_versions()
    assert schedule_in_force("CNY", T0).id == first
    assert schedule_in_force("CNY", LATER - timedelta(microseconds=1)).id == first
    assert schedule_in_force("CNY", LATER).id == second
    with pytest.raises(NotFound):
        schedule_in_force("CNY", T0 - timedelta(seconds=1))
    with pytest.raises(NotFound):
        schedule_in_force("USD", LATER)


def test_a_sale_is_split_by_the_schedule_in_force_when_the_order_was_placed(books: Flask
                                                                            ) -> None:
    first, _ = _two_versions()
    placed = LATER - timedelta(days=1)
    sale = post_sale(reference="ord_1", merchant_org_id=MERCHANTS[0], gross_fen=10_000,
                     currency="CNY", schedule=schedule_in_force("CNY", placed),
                     occurred_at=LATER + timedelta(hours=1))
    assert sale.fee_schedule_id == first
    with pytest.raises(ValidationFailed):
        post_sale(reference="ord_2", merchant_org_id=MERCHANTS[0], gross_fen=10_000,
                  currency="USD", schedule=schedule_in_force("CNY", placed), occurred_at=T0)


@pytest.mark.parametrize("fees", [(10_001, 0, 0), (6_000, 5_000, 0), (0, 0, -1), (1.5, 0, 0),
                                  (True, 0, 0)])
def test_invalid_schedules_are_422(books: Flask, fees: tuple[int, int, int]) -> None:
    with pytest.raises(ValidationFailed):
        add_schedule(currency="CNY", effective_from=T0, platform_bps=fees[0],
                     public_service_bps=fees[1], minimum_fee_fen=fees[2])


def test_two_versions_cannot_start_at_the_same_instant(books: Flask) -> None:
    _two_versions()
    with pytest.raises(Conflict):
        add_schedule(currency="CNY", effective_from=T0, platform_bps=1, public_service_bps=1,
                     minimum_fee_fen=1)
    add_schedule(currency="USD", effective_from=T0, platform_bps=1, public_service_bps=1,
                 minimum_fee_fen=1)
