"""水电气 — monthly water, electricity and gas readings per household in Deyang.

Rows come household by household, 36 months each (2023-01 … 2025-12).  A household has a
size (1-5 people) and its own base use; each month scales it by a seasonal factor (Sichuan
basin: electricity peaks in the hot July-August and again in the damp, unheated winter;
water peaks in summer; gas in winter), a slow yearly trend and log-normal noise.
Typical values: water 5-20 m³, electricity 100-500 kWh, gas 8-40 m³.

Deliberate quality problems for profiling to find: about 1.5 % of readings are null
(meter not read), about 3 % of households are vacant (readings near zero), and about 0.5 % of
rows carry one anomaly — a spike (×8-30, e.g. a leak or a mis-keyed reading), a negative
value (a correction booked as a reading) or a zero for an occupied home.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from .places import pick_district
from .rand import Weighted
from .table import Column

__all__ = ["COLUMNS", "MONTHS", "rows"]

COLUMNS = (
    Column("household_id", "string", "户号"),
    Column("district", "string", "所属区县"),
    Column("month", "month", "抄表月份"),
    Column("water_m3", "decimal", "用水量(立方米)", nullable=True),
    Column("electricity_kwh", "integer", "用电量(千瓦时)", nullable=True),
    Column("gas_m3", "decimal", "用气量(立方米)", nullable=True),
)

MONTHS = tuple(f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13))
_WATER = (0.88, 0.86, 0.92, 0.98, 1.05, 1.12, 1.24, 1.26, 1.10, 0.98, 0.92, 0.90)
_POWER = (1.28, 1.15, 0.92, 0.82, 0.88, 1.08, 1.48, 1.55, 1.10, 0.86, 0.92, 1.18)
_GAS = (1.55, 1.42, 1.15, 0.95, 0.80, 0.70, 0.62, 0.62, 0.74, 0.92, 1.12, 1.40)
_PEOPLE = Weighted((1, 2, 3, 4, 5), (12, 30, 30, 18, 10))
_MISSING = 0.015
_ANOMALY = 0.005


def _anomaly(rng: random.Random, values: list[float | None]) -> None:
    """Corrupt one reading of a row in place."""
    i = rng.randrange(3)
    value = values[i]
    if not value:  # None, or a vacant home's 0.0 (would become -0.0)
        return
    kind = rng.random()
    if kind < 0.5:
        values[i] = value * rng.uniform(8, 30)
    elif kind < 0.8:
        values[i] = -value
    else:
        values[i] = 0.0


def rows(seed: int) -> Iterator[tuple[object, ...]]:
    """Endless reading rows for ``seed``: 36 consecutive months per household."""
    rng = random.Random(f"utility_readings:{seed}")
    household = 0
    while True:
        household += 1
        district = pick_district(rng)
        hid = f"{district.code}{household:08d}"
        people = _PEOPLE(rng)
        vacant = rng.random() < 0.03
        base = (
            people * rng.uniform(2.6, 4.2),  # water m³ per month
            45 + people * rng.uniform(30, 65),  # kWh
            3 + people * rng.uniform(2.5, 5.5),  # gas m³
        )
        if vacant:
            base = (base[0] * 0.03, base[1] * 0.05, 0.0)
        for k, month in enumerate(MONTHS):
            m = k % 12
            trend = 1 + 0.02 * (k // 12)
            values: list[float | None] = [
                b * s * trend * rng.lognormvariate(0, 0.12)
                for b, s in zip(base, (_WATER[m], _POWER[m], _GAS[m]), strict=True)
            ]
            if rng.random() < _ANOMALY:
                _anomaly(rng, values)
            for i in range(3):
                if rng.random() < _MISSING:
                    values[i] = None
            water, power, gas = values
            yield (
                hid, district.name, month,
                None if water is None else round(water, 1),
                None if power is None else round(power),
                None if gas is None else round(gas, 1),
            )
