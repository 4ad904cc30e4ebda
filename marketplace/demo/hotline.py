"""12345热线工单 — citizen hotline tickets of Deyang, with free-text bodies.

Tickets arrive day by day from 2024-01-01 (about 1500 a day, more on Mondays, fewer at
weekends, mostly 08:00-22:00); ``ticket_id`` is ``DY`` + date + a 5-digit daily sequence.
``body`` is assembled from :mod:`marketplace.demo.hotline_text`: an opening for the channel,
a complaint for the category set in the ticket's district, optional follow-up and a closing.
About 35 % of bodies embed personal information — a name, a mobile number ``1[3-9]\\d{9}``
and/or an 18-character resident ID with a valid GB 11643-1999 check digit (Deyang area codes
mostly) — and about 12 % carry look-alikes (a 0838 landline, a masked number, an order
number).  ``satisfaction`` (1-5) is set only for some closed tickets, otherwise null.
Time only moves forward, so a very long stream runs into future dates (1 GB ≈ 9 years).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from . import hotline_text as text
from .hotline_slots import Slots
from .places import District, pick_district
from .pools import Pools, pools
from .rand import Weighted, pick
from .table import Column

__all__ = ["COLUMNS", "rows"]

COLUMNS = (
    Column("ticket_id", "string", "工单编号"),
    Column("received_at", "timestamp", "受理时间"),
    Column("channel", "string", "受理渠道"),
    Column("category", "string", "诉求类别"),
    Column("district", "string", "所属区县"),
    Column("body", "string", "诉求内容"),
    Column("status", "string", "办理状态"),
    Column("department", "string", "承办单位"),
    Column("satisfaction", "integer", "满意度", nullable=True),
)

_START = dt.date(2024, 1, 1)
_CATEGORY = Weighted(tuple(text.CATEGORIES), [v[0] for v in text.CATEGORIES.values()])
_CHANNEL = Weighted(("电话", "网站", "微信", "APP"), (62, 10, 16, 12))
_STATUS = Weighted(("已办结", "已回访", "办理中", "已受理", "退回重办"), (70, 15, 10, 3, 2))
_SCORE = Weighted((5, 4, 3, 2, 1), (50, 25, 12, 6, 7))
_HOUR = Weighted(range(24), (1, 1, 0.5, 0.5, 0.5, 1, 2, 5, 9, 10, 10, 9, 6, 7, 9, 9, 9, 8, 6, 6,
                             5, 4, 3, 2))
_WEEKDAY = (1.15, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75)
_PII = 0.35
_DECOY = 0.12


def _body(rng: random.Random, p: Pools, district: District, category: str, channel: str) -> str:
    parts = [pick(rng, text.OPENINGS[channel])]
    pii = rng.random() < _PII
    intro = pii and rng.random() < 0.5
    if intro:
        parts.append(pick(rng, text.PII_INTROS))
    parts.append(pick(rng, text.CATEGORIES[category][2]))
    parts.append(pick(rng, text.FOLLOW_UPS))
    parts.append(pick(rng, text.CLOSINGS))
    if pii and (not intro or rng.random() < 0.4):
        parts.append(pick(rng, text.PII_TAILS))
    if rng.random() < _DECOY:
        parts.insert(-1, pick(rng, text.DECOYS))
    return "".join(parts).format_map(Slots(rng, p, district))


def rows(seed: int) -> Iterator[tuple[object, ...]]:
    """Endless ticket rows for ``seed``, in order of arrival."""
    rng = random.Random(f"hotline:{seed}")
    p = pools(seed)
    day = _START
    while True:
        count = max(1, round(rng.gauss(1500, 150) * _WEEKDAY[day.weekday()]))
        times = sorted(
            _HOUR(rng) * 3600 + int(rng.random() * 3600) for _ in range(count)
        )
        id_prefix, date = f"DY{day:%Y%m%d}", day.isoformat()
        for seq, t in enumerate(times, 1):
            district = pick_district(rng)
            category = _CATEGORY(rng)
            channel = _CHANNEL(rng)
            status = _STATUS(rng)
            rated = status in ("已办结", "已回访") and rng.random() < 0.8
            departments = text.CATEGORIES[category][1]
            department = (f"{district.name}人民政府" if rng.random() < 0.15
                          else pick(rng, departments).format(district=district.name))
            yield (
                f"{id_prefix}{seq:05d}",
                f"{date} {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}",
                channel, category, district.name, _body(rng, p, district, category, channel),
                status, department, _SCORE(rng) if rated else None,
            )
        day += dt.timedelta(days=1)
