"""Each demo dataset looks like what it claims to be: valid codes, Deyang places, plausible
magnitudes and seasons, deliberate gaps and anomalies, and PII in some hotline bodies."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from itertools import pairwise
from typing import Any

import pytest

from marketplace.demo import (
    DATASETS,
    generate,
    is_valid_org_code,
    is_valid_resident_id,
    is_valid_uscc,
)
from marketplace.demo.pools import pools

SEED = 20261122
DEYANG = {"旌阳区": "510603", "罗江区": "510604", "广汉市": "510681", "什邡市": "510682",
          "绵竹市": "510683", "中江县": "510623"}  # GB/T 2260 codes


def _dicts(name: str, rows: int) -> list[dict[str, Any]]:
    return list(generate(name, rows, SEED).dicts())


@pytest.fixture(scope="module")
def enterprises() -> list[dict[str, Any]]:
    return _dicts("enterprises", 3000)


@pytest.fixture(scope="module")
def readings() -> list[dict[str, Any]]:
    return _dicts("utility_readings", 36 * 300)


@pytest.fixture(scope="module")
def parking() -> list[dict[str, Any]]:
    return _dicts("parking", 53 * 96 * 7)  # every lot for one week


@pytest.fixture(scope="module")
def hotline() -> list[dict[str, Any]]:
    return _dicts("hotline", 3000)


def test_enterprise_codes_are_valid_unique_and_local(enterprises: list[dict[str, Any]]) -> None:
    codes = [e["uscc"] for e in enterprises]
    assert len(set(codes)) == len(codes)
    for e in enterprises:
        code, founded = e["uscc"], dt.date.fromisoformat(e["established_on"])
        assert is_valid_uscc(code) and is_valid_org_code(code[8:17])
        assert code[:2] in ("91", "93")
        legacy_luojiang = e["district"] == "罗江区" and founded < dt.date(2017, 7, 1)
        assert code[2:8] in ("510600", "510626" if legacy_luojiang else DEYANG[e["district"]])
        # codes issued after the 2015-10-01 reform carry an MA… organisation code
        assert code[8:10] == "MA" if founded >= dt.date(2015, 10, 1) else code[8:16].isdigit()
        if code[:2] == "93":
            assert e["name"].endswith("专业合作社") and e["industry_section"] == "A"


def test_enterprise_fields_are_plausible(enterprises: list[dict[str, Any]]) -> None:
    # a few GB/T 4754-2017 sections, from the standard's table of 门类
    gbt4754 = {"A": "农、林、牧、渔业", "C": "制造业", "F": "批发和零售业",
               "I": "信息传输、软件和信息技术服务业"}
    for e in enterprises:
        assert e["district"] in DEYANG
        assert e["address"].startswith(f"四川省德阳市{e['district']}")
        assert dt.date(1992, 1, 1) <= dt.date.fromisoformat(e["established_on"]) <= dt.date(
            2025, 12, 31)
        capital = e["registered_capital"]
        assert capital > 0 and round(capital, 2) == capital
        assert e["name"] and e["legal_representative"]
        assert re.fullmatch(r"[A-T]", e["industry_section"])
        if e["industry_section"] in gbt4754:
            assert e["industry_name"] == gbt4754[e["industry_section"]]
    assert {e["status"] for e in enterprises} == {"存续", "在业", "注销", "吊销"}
    assert {e["industry_section"] for e in enterprises} >= set(gbt4754)
    assert {e["district"] for e in enterprises} == set(DEYANG)


def test_readings_cover_36_months_per_household(readings: list[dict[str, Any]]) -> None:
    months = defaultdict(list)
    for r in readings:
        assert re.fullmatch(r"(2023|2024|2025)-(0[1-9]|1[0-2])", r["month"])
        assert r["household_id"].startswith(DEYANG[r["district"]])
        months[r["household_id"]].append(r["month"])
    expected = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    assert len(months) == 300 and all(m == expected for m in months.values())


def test_readings_have_few_gaps_and_some_anomalies(readings: list[dict[str, Any]]) -> None:
    for col in ("water_m3", "electricity_kwh", "gas_m3"):
        nulls = sum(r[col] is None for r in readings) / len(readings)
        assert 0.002 < nulls < 0.05, col
    values = [r[c] for r in readings for c in ("water_m3", "electricity_kwh", "gas_m3")
              if r[c] is not None]
    assert any(v < 0 for v in values)  # corrections booked as readings
    power = [r["electricity_kwh"] for r in readings if r["electricity_kwh"] is not None]
    median = statistics.median(power)
    assert 100 <= median <= 400  # kWh per household-month
    assert any(p > 8 * median for p in power)  # spikes


def test_readings_are_seasonal(readings: list[dict[str, Any]]) -> None:
    def median(col: str, months: tuple[int, ...]) -> float:
        return statistics.median(r[col] for r in readings
                                 if int(r["month"][5:]) in months and r[col] is not None)

    assert median("electricity_kwh", (7, 8)) > 1.3 * median("electricity_kwh", (4, 5))
    assert median("electricity_kwh", (1, 12)) > 1.15 * median("electricity_kwh", (4, 5))
    assert median("gas_m3", (1, 2)) > 1.5 * median("gas_m3", (7, 8))
    assert median("water_m3", (7, 8)) > 1.2 * median("water_m3", (1, 2))


def test_parking_occupancy_stays_within_capacity(parking: list[dict[str, Any]]) -> None:
    plate = re.compile(r"川F[A-HJ-NP-Z0-9]{5}|川F[DF][A-HJ-NP-Z0-9]\d{4}"
                       r"|[川渝陕][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4})")
    by_lot = defaultdict(list)
    for p in parking:
        assert p["occupied"] is None or 0 <= p["occupied"] <= p["capacity"]
        assert plate.fullmatch(p["last_plate"]), p["last_plate"]
        assert p["district"] in DEYANG
        by_lot[p["lot_id"]].append(p)
    nulls = sum(p["occupied"] is None for p in parking) / len(parking)
    assert 0 < nulls < 0.03
    assert sum(p["last_plate"].startswith("川F") for p in parking) > 0.7 * len(parking)
    assert len(by_lot) == 53
    for rows in by_lot.values():
        times = [dt.datetime.fromisoformat(p["ts"]) for p in rows]
        assert len({p["capacity"] for p in rows}) == 1
        assert all(b - a == dt.timedelta(minutes=15) for a, b in pairwise(times))
        assert times[0] == dt.datetime(2025, 3, 1) and len(times) == 96 * 7


def test_parking_follows_daily_patterns(parking: list[dict[str, Any]]) -> None:
    def share(word: str, hours: range) -> float:
        picked = [p["occupied"] / p["capacity"] for p in parking
                  if word in p["lot_name"] and p["occupied"] is not None
                  and dt.datetime.fromisoformat(p["ts"]).hour in hours]
        return statistics.mean(picked)

    night, afternoon = range(1, 5), range(14, 19)
    assert share("地下停车场", afternoon) > share("地下停车场", night) + 0.4  # malls
    assert share("医院", range(9, 11)) > share("医院", night) + 0.4
    residential = [p for p in parking if "停车场" in p["lot_name"] and "医院" not in p["lot_name"]
                   and any(t in p["lot_name"] for t in ("花园", "家园", "小区", "名城", "雅苑"))]
    assert residential
    assert statistics.mean(p["occupied"] / p["capacity"] for p in residential
                           if p["occupied"] is not None
                           and dt.datetime.fromisoformat(p["ts"]).hour in night) > 0.6


def test_hotline_tickets_are_ordered_and_consistent(hotline: list[dict[str, Any]]) -> None:
    ids = [t["ticket_id"] for t in hotline]
    assert len(set(ids)) == len(ids)
    received = [t["received_at"] for t in hotline]
    assert received == sorted(received)
    for t in hotline:
        assert re.fullmatch(r"DY\d{8}\d{5}", t["ticket_id"])
        assert t["ticket_id"][2:10] == t["received_at"][:10].replace("-", "")
        dt.datetime.fromisoformat(t["received_at"])
        assert t["channel"] in ("电话", "网站", "微信", "APP")
        assert t["district"] in DEYANG
        if t["satisfaction"] is not None:
            assert t["satisfaction"] in range(1, 6) and t["status"] in ("已办结", "已回访")
        assert t["body"] and t["department"]
    assert {"城市管理", "交通", "环保", "住房", "劳动保障", "市场监管"} <= {
        t["category"] for t in hotline}
    assert any(t["satisfaction"] is None for t in hotline)


def test_some_but_not_all_hotline_bodies_carry_pii(hotline: list[dict[str, Any]]) -> None:
    id_like = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
    mobile = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
    names = set(pools(SEED).names)
    with_id = with_mobile = with_name = clean = 0
    for t in hotline:
        body = t["body"]
        ids = id_like.findall(body)
        assert all(is_valid_resident_id(i) for i in ids)  # every embedded ID checks
        has_name = any(body[i:i + n] in names for n in (2, 3) for i in range(len(body)))
        with_id += bool(ids)
        with_mobile += bool(mobile.search(body))
        with_name += has_name
        clean += not (ids or mobile.search(body))
    n = len(hotline)
    assert 0.05 * n < with_id < 0.4 * n
    assert 0.1 * n < with_mobile < 0.5 * n
    assert 0.1 * n < with_name < 0.6 * n
    assert clean > 0.5 * n
    # decoys: landlines and masked numbers that are not mobiles
    assert any(re.search(r"0838-\d{7}", t["body"]) for t in hotline)
    assert any(re.search(r"1[3-9]\d\*{4}\d{4}", t["body"]) for t in hotline)


def test_declared_nullability_matches_the_data(
    enterprises: list[dict[str, Any]], readings: list[dict[str, Any]],
    parking: list[dict[str, Any]], hotline: list[dict[str, Any]],
) -> None:
    samples = {"enterprises": enterprises, "utility_readings": readings, "parking": parking,
               "hotline": hotline}
    for name, rows in samples.items():
        for column in DATASETS[name].columns:
            has_null = any(r[column.name] is None for r in rows)
            assert has_null == column.nullable, (name, column.name)
