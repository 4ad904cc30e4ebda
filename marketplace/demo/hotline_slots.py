"""Lazily filled template slots for 12345 hotline bodies (see :mod:`.hotline_text`).

Personal data comes from here: ``name``/``surname`` from the Faker pools, ``mobile`` as
``1[3-9]\\d{9}``, ``id`` a GB 11643-1999 resident ID (check digit computed) whose area code is
mostly a Deyang district's (罗江区 residents often still carry 510626) and sometimes another
Sichuan county's; birth dates 1950-2004.
"""

from __future__ import annotations

import datetime as dt
import random

from . import hotline_text as text
from .codes import make_resident_id
from .places import District, estate, pick_district
from .pools import Pools, mobile
from .rand import pick

__all__ = ["Slots"]

_OTHER_SICHUAN = ("510104", "510107", "510703", "510704", "511002", "510903")
_NEAR = ("附近", "一带", "路口", "")
_SHOPS = ("超市", "火锅店", "烧烤店", "美容院", "健身房", "药店", "蛋糕店", "洗车店")
_EPOCH = dt.date(1950, 1, 1)


class Slots(dict[str, str]):
    """Template slots for one body, each computed on first use (``str.format_map`` calls
    ``__missing__``) and then reused, so a repeated slot reads the same in one body."""

    def __init__(self, rng: random.Random, p: Pools, district: District) -> None:
        super().__init__(district=district.name)
        self.rng, self.p, self.d = rng, p, district

    def __missing__(self, key: str) -> str:
        value = self[key] = getattr(self, "_" + key)()
        return value

    def _loc(self) -> str:
        return self.d.name + pick(self.rng, self.d.roads) + pick(self.rng, _NEAR)

    def _road(self) -> str:
        return pick(self.rng, self.d.roads)

    def _road2(self) -> str:
        road = self["road"]
        return pick(self.rng, [r for r in self.d.roads if r != road])

    def _estate(self) -> str:
        return self.d.name[:2] + estate(self.rng)

    def _town(self) -> str:
        return pick(self.rng, self.d.towns)

    def _company(self) -> str:
        return f"{self.d.name[:2]}{pick(self.rng, self.p.trade_names)}有限公司"

    def _shop(self) -> str:
        return f"{pick(self.rng, self.d.roads)}一家{pick(self.rng, _SHOPS)}"

    def _school(self) -> str:
        return pick(self.rng, self.d.towns) + pick(self.rng, ("小学", "中学"))

    def _hospital(self) -> str:
        return f"{self.d.name}人民医院"

    def _route(self) -> str:
        return str(self.rng.randrange(1, 60))

    def _dur(self) -> str:
        return pick(self.rng, text.DURATIONS)

    def _night(self) -> str:
        return pick(self.rng, text.NIGHTS)

    def _months(self) -> str:
        return str(self.rng.randrange(2, 9))

    def _money(self) -> str:
        return str(self.rng.randrange(5, 400) * 100)

    def _n(self) -> str:
        return str(self.rng.randrange(1, 30))

    def _name(self) -> str:
        return pick(self.rng, self.p.names)

    def _surname(self) -> str:
        return pick(self.rng, self.p.surnames)

    def _mobile(self) -> str:
        return mobile(self.rng)

    def _id(self) -> str:
        rng = self.rng
        d = pick_district(rng) if rng.random() < 0.3 else self.d
        area = pick(rng, _OTHER_SICHUAN) if rng.random() < 0.15 else pick(rng, d.id_codes)
        birth = _EPOCH + dt.timedelta(days=rng.randrange(55 * 365))
        return make_resident_id(rng, area, birth)

    def _masked(self) -> str:
        m = mobile(self.rng)
        return m[:3] + "****" + m[7:]

    def _landline(self) -> str:
        return f"0838-{self.rng.randrange(2, 9)}{self.rng.randrange(1_000_000):06d}"

    def _order(self) -> str:
        return str(self.rng.randrange(10**15, 10**16))
