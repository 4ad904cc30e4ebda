"""Reference data for Deyang (德阳市, Sichuan): districts, address codes, towns and roads.

Address codes follow GB/T 2260 (民政部 行政区划代码): 510600 德阳市, 510603 旌阳区,
510604 罗江区 (罗江县 510626 until it became a district in July 2017 — residents registered
before then keep 510626 in their ID numbers), 510623 中江县, 510681 广汉市, 510682 什邡市,
510683 绵竹市.  Towns/streets are real place names of each district; road names mix real
ones with plausible ones — this is demo data, not a gazetteer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .rand import Weighted, pick

__all__ = [
    "CITY", "CITY_CODE", "DISTRICTS", "OTHER_PLATES", "District", "address", "estate",
    "pick_district",
]

CITY = "德阳市"
CITY_CODE = "510600"


@dataclass(frozen=True)
class District:
    """One county-level division of Deyang, with the weight used to spread rows over it."""

    name: str
    code: str
    id_codes: tuple[str, ...]  # address codes found in residents' ID numbers
    weight: float
    towns: tuple[str, ...]
    roads: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District(
        "旌阳区", "510603", ("510603",), 0.30,
        ("旌阳街道", "城北街道", "城南街道", "东湖街道", "工农街道", "八角井街道",
         "天元街道", "孝泉镇", "黄许镇", "双东镇"),
        ("长江西路", "长江东路", "岷江西路", "泰山南路", "泰山北路", "庐山南路", "华山南路",
         "黄河东路", "嘉陵江西路", "天山南路", "衡山路", "珠江西路", "峨眉山路"),
    ),
    District(
        "罗江区", "510604", ("510626", "510604"), 0.07,
        ("万安镇", "金山镇", "略坪镇", "鄢家镇", "新盛镇", "白马关镇", "调元镇"),
        ("景乐路", "文星路", "凯江路", "麓峰路", "罗纹江路", "诗乡大道"),
    ),
    District(
        "广汉市", "510681", ("510681",), 0.18,
        ("雒城街道", "金雁街道", "三星堆镇", "向阳镇", "南兴镇", "连山镇", "西高镇"),
        ("中山大道", "湘潭路", "浙江路", "深圳路", "北京大道", "上海路", "鸭子河路"),
    ),
    District(
        "什邡市", "510682", ("510682",), 0.12,
        ("方亭街道", "雍城街道", "湔氐镇", "师古镇", "马祖镇", "洛水镇", "蓥华镇", "红白镇"),
        ("蓥华山路", "北京大道", "方亭路", "雍城路", "禾丰路", "通江路"),
    ),
    District(
        "绵竹市", "510683", ("510683",), 0.13,
        ("剑南街道", "东北镇", "西南镇", "孝德镇", "汉旺镇", "九龙镇", "遵道镇", "土门镇"),
        ("剑南大道", "南京大道", "年画路", "紫岩路", "江苏路", "棋盘路"),
    ),
    District(
        "中江县", "510623", ("510623",), 0.20,
        ("凯江镇", "南华镇", "仓山镇", "集凤镇", "永太镇", "冯店镇", "兴隆镇"),
        ("大北街", "南华大道", "凯江路", "通山路", "玉江路", "广福路"),
    ),
)

pick_district = Weighted(DISTRICTS, [d.weight for d in DISTRICTS])

# Licence-plate prefixes seen in Deyang besides 川F: Chengdu, Mianyang, Suining, Guangyuan,
# Nanchong, Chongqing, Xi'an.
OTHER_PLATES = ("川A", "川A", "川A", "川B", "川J", "川H", "川R", "渝A", "陕A")

_ESTATE_HEADS = (
    "锦绣", "阳光", "金色", "翰林", "滨江", "紫荆", "东湖", "南山", "翠湖", "天府", "书香",
)
_ESTATE_TAILS = ("花园", "家园", "小区", "名城", "雅苑", "新城", "华庭")


def estate(rng: random.Random) -> str:
    """A residential-estate name such as 锦绣花园."""
    return pick(rng, _ESTATE_HEADS) + pick(rng, _ESTATE_TAILS)


def address(rng: random.Random, district: District, town: str | None = None) -> str:
    """A postal address in ``district``: 四川省德阳市 + district + town + road + number."""
    town = town or pick(rng, district.towns)
    road = pick(rng, district.roads)
    number = rng.randrange(1, 400)
    head = f"四川省{CITY}{district.name}{town}{road}{number}号"
    if rng.random() < 0.35:
        room = f"{rng.randrange(1, 33)}0{rng.randrange(1, 5)}室"
        return f"{head}{estate(rng)}{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{room}"
    return head
