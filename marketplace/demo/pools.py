"""Seeded pools of Faker ``zh_CN`` values, plus small helpers shared by the datasets.

Faker is slow per call (~60 µs for a name), so each seed draws fixed pools once from a
``Faker("zh_CN")`` instance seeded with ``seed_instance(seed)`` — never the global Faker or
``random`` state — and the row generators pick from the pools with their own
``random.Random``.  Output is therefore a pure function of (seed, Faker version).  Values
that the GBK codec cannot encode are dropped, so every dataset round-trips through GBK.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

from .rand import pick

__all__ = ["Pools", "gbk_safe", "mobile", "pools"]

_NAMES = 3000
_TRADE = 600
# Mainland mobile prefixes (1[3-9]x) in use by China Mobile/Unicom/Telecom/Broadnet.
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "172", "173", "175",
    "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188",
    "189", "191", "193", "195", "197", "198", "199",
)
# Characters for made-up trade names (字号) alongside Faker's company prefixes.
_TRADE_CHARS = "鑫盛宏达恒泰华瑞丰源蜀川锦德旌凯博远信安兴汇通聚隆昌金天成佳嘉美祥润腾飞宇航明"


def gbk_safe(text: str) -> bool:
    """True if ``text`` encodes in GBK (and therefore in GB 18030)."""
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Pools:
    """Faker-drawn values for one seed: distinct full names, surnames with their natural
    frequencies, and trade names (字号) for enterprise names."""

    names: tuple[str, ...]
    surnames: tuple[str, ...]
    trade_names: tuple[str, ...]


def _distinct(draw: Callable[[], str], count: int, attempts: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _ in range(attempts):
        value = draw()
        if gbk_safe(value) and "公司" not in value and not any(c.isascii() for c in value):
            seen.setdefault(value, None)
            if len(seen) >= count:
                break
    return tuple(seen)


@functools.lru_cache(maxsize=8)
def pools(seed: int) -> Pools:
    """The pools for ``seed`` (cached: building them takes a fraction of a second)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = _distinct(fake.name, _NAMES, _NAMES * 3)
    # surnames keep their Faker frequencies (王, 李, 张 … recur), so no de-duplication
    surnames = tuple(s for s in (fake.last_name() for _ in range(1000)) if gbk_safe(s))
    prefixes = _distinct(fake.company_prefix, _TRADE // 2, _TRADE * 4)
    rng = random.Random(f"trade:{seed}")
    made = {rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS): None for _ in range(_TRADE)}
    trade = tuple(dict.fromkeys(prefixes + tuple(k for k in made if k[0] != k[1])))
    return Pools(names=names, surnames=surnames, trade_names=trade)


def mobile(rng: random.Random) -> str:
    """A mainland mobile number matching ``1[3-9]\\d{9}``."""
    return pick(rng, _MOBILE_PREFIXES) + f"{int(rng.random() * 100_000_000):08d}"
