"""智慧停车 — parking-lot occupancy of Deyang every 15 minutes.

Rows are slot by slot from 2025-03-01 00:00 (Beijing time, ``YYYY-MM-DD HH:MM:SS``), one row
per lot per slot.  Each lot has a kind (mall, hospital, transport hub, scenic spot, government
service centre, residential, kerbside) whose hourly profile, weekday/weekend factor and
slowly wandering noise drive ``occupied``, which always stays within ``0..capacity``.
``occupied`` is null while a lot's sensor is offline (outages of 1-12 hours, ~0.5 % of rows).

``last_plate`` is the plate of the most recent entry, written WITHOUT the separator dot:
province character + issuing-authority letter + 5 characters for ordinary plates (letters
never I or O, e.g. ``川F12345``, ``川FA7K21``), or + 6 for small new-energy plates (``D``/``F``
then a letter or digit, then 4 digits, e.g. ``川FD12345``) per GA 36-2018.  About 85 % are
Deyang's 川F; the rest come from neighbouring cities.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator

from .places import DISTRICTS, OTHER_PLATES, estate
from .rand import Weighted, pick
from .table import Column

__all__ = ["COLUMNS", "PLATE_RE", "plate", "rows"]

COLUMNS = (
    Column("lot_id", "string", "停车场编号"),
    Column("lot_name", "string", "停车场名称"),
    Column("district", "string", "所属区县"),
    Column("ts", "timestamp", "统计时间"),
    Column("capacity", "integer", "总泊位数"),
    Column("occupied", "integer", "已占用泊位数", nullable=True),
    Column("last_plate", "string", "最近入场车牌"),
)

PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4})"
)
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_START = dt.datetime(2025, 3, 1)
_STEP = dt.timedelta(minutes=15)

# kind: (24 hourly occupancy fractions, weekend factor, capacity range)
_KINDS: dict[str, tuple[tuple[float, ...], float, tuple[int, int]]] = {
    "mall": ((.05, .04, .03, .03, .03, .03, .05, .08, .15, .30, .50, .65, .75, .78, .80, .82,
              .85, .88, .90, .88, .75, .50, .25, .10), 1.2, (300, 1200)),
    "hospital": ((.15, .12, .10, .10, .10, .12, .30, .70, .95, .98, .96, .85, .70, .80, .90,
                  .88, .75, .50, .35, .30, .25, .20, .18, .16), 0.6, (150, 600)),
    "hub": ((.35, .30, .28, .28, .30, .40, .60, .75, .80, .80, .78, .75, .72, .72, .74, .76,
             .80, .82, .78, .70, .60, .50, .45, .40), 1.1, (200, 800)),
    "tourist": ((.03, .02, .02, .02, .02, .03, .05, .10, .25, .50, .70, .80, .80, .78, .80,
                 .78, .65, .45, .30, .25, .20, .12, .06, .04), 1.35, (100, 500)),
    "office": ((.02, .02, .02, .02, .02, .02, .03, .05, .40, .85, .90, .88, .60, .55, .85,
                .88, .85, .60, .20, .08, .05, .03, .02, .02), 0.15, (80, 300)),
    "residential": ((.86, .87, .88, .88, .87, .85, .78, .62, .48, .43, .43, .45, .48, .48,
                     .46, .48, .53, .62, .74, .80, .83, .84, .85, .86), 1.05, (80, 400)),
    "street": ((.10, .08, .08, .08, .08, .10, .20, .30, .60, .80, .85, .88, .85, .80, .85,
                .88, .88, .85, .80, .70, .50, .30, .20, .12), 0.8, (20, 80)),
}
_LANDMARKS = {
    "旌阳区": (("文庙广场", "tourist"), ("万达广场", "mall"), ("德阳东站", "hub"),
             ("德阳站", "hub"), ("德阳市人民医院", "hospital"), ("石刻公园", "tourist"),
             ("旌湖公园", "tourist"), ("洋洋百货", "mall"), ("德阳市政务服务中心", "office"),
             ("德阳市中医院", "hospital")),
    "罗江区": (("白马关景区", "tourist"), ("罗江区人民医院", "hospital"), ("罗江东站", "hub")),
    "广汉市": (("三星堆博物馆", "tourist"), ("广汉北站", "hub"), ("房湖公园", "tourist"),
             ("广汉市人民医院", "hospital")),
    "什邡市": (("什邡市人民医院", "hospital"), ("雍湖公园", "tourist"),
             ("什邡市政务服务中心", "office")),
    "绵竹市": (("年画村", "tourist"), ("绵竹市人民医院", "hospital"), ("剑南老街", "tourist")),
    "中江县": (("中江县人民医院", "hospital"), ("中江县政务服务中心", "office")),
}
_SUFFIX = {"hub": "P1停车场", "mall": "地下停车场"}
_SEGMENTS = "一二三四"
_LETTER_COUNT = Weighted((0, 1, 2), (25, 50, 25))


def plate(rng: random.Random) -> str:
    """A mainland plate in the documented no-dot format (matches ``PLATE_RE``)."""
    prefix = "川F" if rng.random() < 0.85 else pick(rng, OTHER_PLATES)
    if rng.random() < 0.18:  # small new-energy plate
        return f"{prefix}{pick(rng, 'DF')}{pick(rng, _LETTERS + '0123456789')}" + (
            f"{rng.randrange(10_000):04d}")
    digits = [str(rng.randrange(10)) for _ in range(5)]
    for pos in rng.sample(range(5), _LETTER_COUNT(rng)):
        digits[pos] = pick(rng, _LETTERS)
    return prefix + "".join(digits)


def _lots(rng: random.Random) -> list[tuple[str, str, str, tuple[float, ...], float, int]]:
    lots = []
    for district in DISTRICTS:
        places = [(f"{name}{_SUFFIX.get(kind, '停车场')}", kind)
                  for name, kind in _LANDMARKS[district.name]]
        extra = 4 if district.name == "旌阳区" else 2
        for road in rng.sample(district.roads, min(extra, len(district.roads))):
            places.append((f"{road}{pick(rng, _SEGMENTS)}段路内泊位", "street"))
        while len(places) < len(_LANDMARKS[district.name]) + 2 * extra:
            name = f"{district.name[:2]}{estate(rng)}停车场"
            if (name, "residential") not in places:
                places.append((name, "residential"))
        for name, kind in places:
            profile, weekend, (low, high) = _KINDS[kind]
            lots.append((f"DYP{len(lots) + 1:03d}", name, district.name, profile, weekend,
                         rng.randrange(low, high + 1)))
    return lots


def rows(seed: int) -> Iterator[tuple[object, ...]]:
    """Endless occupancy rows for ``seed``: every lot, every 15 minutes."""
    rng = random.Random(f"parking:{seed}")
    lots = _lots(rng)
    scale = [rng.uniform(0.8, 1.1) for _ in lots]
    noise = [0.0] * len(lots)
    outage = [0] * len(lots)
    last = [plate(rng) for _ in lots]
    prev = [0] * len(lots)
    when = _START
    while True:
        ts = when.strftime("%Y-%m-%d %H:%M:%S")
        hour = when.hour + when.minute / 60
        h0 = int(hour)
        frac = hour - h0
        weekend = when.weekday() >= 5
        for i, (lot_id, name, district, profile, weekend_factor, capacity) in enumerate(lots):
            base = profile[h0] * (1 - frac) + profile[(h0 + 1) % 24] * frac
            noise[i] = 0.9 * noise[i] + rng.gauss(0, 0.025)
            level = base * scale[i] * (weekend_factor if weekend else 1.0) + noise[i]
            occupied: int | None = round(min(max(level, 0.0), 1.0) * capacity)
            if outage[i] == 0 and rng.random() < 0.0002:
                outage[i] = rng.randrange(4, 49)
            if outage[i]:
                outage[i] -= 1
                occupied = None
            elif occupied > prev[i] or rng.random() < 0.25:
                last[i] = plate(rng)
            if occupied is not None:
                prev[i] = occupied
            yield (lot_id, name, district, ts, capacity, occupied, last[i])
        when += _STEP
