"""企业登记 — an enterprise registry of Deyang.

Columns: ``uscc`` (GB 32100-2015 统一社会信用代码 with a correct check character; characters
9-17 are a GB 11714 organisation code with its own check character — 8 digits for entities
founded before the code reform of 2015-10-01, ``MA6…`` afterwards; unique per row for the
first 28 million rows), ``name`` (区县/城市 + Faker trade name + trade + legal form),
``legal_representative`` (Faker name), ``registered_capital`` (万元: an integer, or a number
with 2 decimals), ``established_on`` (1992-01-01 … 2025-12-31, growing over time),
``district``, ``industry_section``/``industry_name`` (GB/T 4754-2017 门类),
``status`` (存续/在业/注销/吊销, older firms more often closed), ``address``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from .codes import USCC_CHARSET, make_uscc
from .places import CITY_CODE, District, address, pick_district
from .pools import pools
from .rand import Weighted, pick
from .table import Column

__all__ = ["COLUMNS", "rows"]

COLUMNS = (
    Column("uscc", "string", "统一社会信用代码"),
    Column("name", "string", "企业名称"),
    Column("legal_representative", "string", "法定代表人"),
    Column("registered_capital", "decimal", "注册资本(万元)"),
    Column("established_on", "date", "成立日期"),
    Column("district", "string", "所属区县"),
    Column("industry_section", "string", "行业门类代码"),
    Column("industry_name", "string", "行业门类"),
    Column("status", "string", "登记状态"),
    Column("address", "string", "住所"),
)

# GB/T 4754-2017 sections with a Deyang-flavoured share (heavy equipment, liquor, farming)
# and the trades used to name firms in each.
_INDUSTRIES: dict[str, tuple[str, float, tuple[str, ...]]] = {
    "A": ("农、林、牧、渔业", 6, ("农业开发", "种植", "养殖", "生态农业", "林业")),
    "B": ("采矿业", 0.5, ("矿业", "磷化工矿业")),
    "C": ("制造业", 20, ("机械制造", "重型装备", "电气设备", "化工", "食品", "酒业",
                        "建材", "塑胶制品", "汽车零部件", "阀门", "纺织")),
    "D": ("电力、热力、燃气及水生产和供应业", 1, ("能源", "燃气", "新能源", "供水")),
    "E": ("建筑业", 8, ("建筑工程", "建设", "装饰工程", "市政工程", "劳务")),
    "F": ("批发和零售业", 25, ("商贸", "贸易", "百货", "超市", "农资", "医药", "五金")),
    "G": ("交通运输、仓储和邮政业", 4, ("物流", "运输", "仓储", "快递")),
    "H": ("住宿和餐饮业", 8, ("餐饮管理", "酒店管理", "火锅", "茶楼")),
    "I": ("信息传输、软件和信息技术服务业", 5, ("信息技术", "软件", "网络科技", "数据科技")),
    "J": ("金融业", 0.5, ("小额贷款", "融资担保")),
    "K": ("房地产业", 3, ("房地产开发", "物业管理", "置业")),
    "L": ("租赁和商务服务业", 8, ("企业管理", "商务咨询", "广告", "人力资源", "租赁")),
    "M": ("科学研究和技术服务业", 5, ("检测", "工程设计", "技术服务", "环境科技")),
    "N": ("水利、环境和公共设施管理业", 1, ("环保工程", "园林绿化", "环境治理")),
    "O": ("居民服务、修理和其他服务业", 5, ("家政服务", "汽车维修", "美容美发", "保洁")),
    "P": ("教育", 0.5, ("教育咨询", "职业技能培训")),
    "Q": ("卫生和社会工作", 0.5, ("医疗管理", "养老服务")),
    "R": ("文化、体育和娱乐业", 1, ("文化传媒", "体育发展", "文化旅游")),
}
_SECTION = Weighted(tuple(_INDUSTRIES), [v[1] for v in _INDUSTRIES.values()])
_FORM = Weighted(("有限公司", "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业(有限合伙)"),
                 (70, 20, 4, 4, 2))
_YEAR = Weighted(range(1992, 2026), [1.13 ** k for k in range(2026 - 1992)])
_ROUND_CAPITAL = (3, 10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 5000, 10000)
_REFORM = dt.date(2015, 10, 1)  # GB 32100 codes issued from here; MA organisation codes
_LUOJIANG_DISTRICT = dt.date(2017, 7, 1)  # 罗江县 (510626) became 罗江区 (510604)


def _org_body(index: int, founded: dt.date) -> str:
    """8-character organisation-code body, a bijection of ``index`` within its namespace."""
    if founded < _REFORM:
        return f"{(index * 61_803_399 + 20_134_567) % 10**8:08d}"
    n, chars = (index * 17_693_815 + 1_234) % 31**5, []
    for _ in range(5):
        n, r = divmod(n, 31)
        chars.append(USCC_CHARSET[r])
    return "MA6" + "".join(reversed(chars))


def _admin_code(rng: random.Random, district: District, founded: dt.date) -> str:
    if rng.random() < 0.25:
        return CITY_CODE  # registered with the city-level market regulator
    if district.code == "510604" and founded < _LUOJIANG_DISTRICT:
        return "510626"
    return district.code


def _capital(rng: random.Random, section: str) -> int | float:
    if rng.random() < 0.75:
        base = pick(rng, _ROUND_CAPITAL)
        return base * (10 if section in "CDK" and rng.random() < 0.3 else 1)
    return round(rng.lognormvariate(4.5, 1.4), 2)


def rows(seed: int) -> Iterator[tuple[object, ...]]:
    """Endless enterprise rows for ``seed``."""
    rng = random.Random(f"enterprises:{seed}")
    p = pools(seed)
    index = 0
    while True:
        district = pick_district(rng)
        section = _SECTION(rng)
        industry, _, trades = _INDUSTRIES[section]
        year = _YEAR(rng)
        founded = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        coop = section == "A" and rng.random() < 0.3
        town = pick(rng, district.towns)
        if coop:
            trade = pick(rng, p.trade_names) + pick(rng, trades)
            name = f"{district.name}{town if town.endswith('镇') else ''}{trade}专业合作社"
        else:
            region = pick(rng, ("德阳", "德阳市", "四川", district.name[:-1], district.name))
            form = _FORM(rng)
            name = f"{region}{pick(rng, p.trade_names)}{pick(rng, trades)}{form}"
        code = make_uscc("93" if coop else "91", _admin_code(rng, district, founded),
                         _org_body(index, founded))
        age = 2026 - year
        closed = rng.random() * (1.0 if age > 8 else 3.0)
        status = "注销" if closed < 0.14 else "吊销" if closed < 0.22 else (
            "在业" if rng.random() < 0.2 else "存续")
        yield (code, name, pick(rng, p.names), _capital(rng, section),
               founded.isoformat(), district.name, section, industry, status,
               address(rng, district, town))
        index += 1
