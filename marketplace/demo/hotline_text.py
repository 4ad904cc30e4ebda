"""Text templates for 12345 hotline tickets: complaint sentences per category, openings,
closing requests, and the phrases that carry personal information (or look as if they do).

Templates use ``str.format_map`` slots filled lazily by :mod:`marketplace.demo.hotline`:
``loc`` (a place in the ticket's district), ``road``/``road2``, ``estate``, ``town``,
``company``, ``shop``, ``school``, ``hospital``, ``route``, ``dur``, ``night``, ``months``,
``money``, ``n``; PII phrases use ``name``, ``surname``, ``mobile``, ``id``, ``masked``,
``landline``, ``order``.
"""

from __future__ import annotations

__all__ = [
    "CATEGORIES", "CLOSINGS", "DECOYS", "DURATIONS", "FOLLOW_UPS", "NIGHTS", "OPENINGS",
    "PII_INTROS", "PII_TAILS",
]

# category: (weight, departments ("{district}" = the ticket's district), complaint templates)
CATEGORIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {
    "城市管理": (22, ("德阳市综合行政执法局", "{district}综合行政执法局"), (
        "{loc}有商贩长期占道经营，晚上摆摊烧烤，油烟大、垃圾乱扔，行人只能走机动车道。",
        "{loc}的垃圾桶已经{dur}没有清运，天气一热气味很大，蚊虫很多。",
        "{loc}一处工地{night}还在施工，噪音很大，严重影响周边居民休息。",
        "{estate}有业主在楼顶违章搭建彩钢棚，存在安全隐患。",
        "{road}的路灯坏了{dur}，晚上路段漆黑，老人和小孩出行很不安全。",
        "{loc}的广场舞音响声音过大，{night}仍未停止，周边居民多次劝说无果。",
        "{road}人行道上的井盖破损缺失，已有路人绊倒受伤。",
    )),
    "交通": (14, ("德阳市交通运输局", "德阳市公安局交通警察支队"), (
        "{route}路公交车班次太少，高峰期要等四十多分钟，希望增加班次。",
        "{road}与{road2}交叉口的红绿灯时间设置不合理，早晚高峰经常堵车。",
        "{road}路面坑洼不平，下雨后积水严重，电瓶车经过容易摔倒。",
        "{loc}经常有车辆违停占用消防通道，多次反映未得到解决。",
        "在德阳东站乘坐出租车时司机拒载、不打表，要求一口价。",
        "{school}门口上下学时段交通拥堵，希望安排交警疏导。",
    )),
    "环保": (10, ("德阳市生态环境局", "德阳市生态环境局{district}分局"), (
        "{company}夜间偷排废气，气味刺鼻，周边居民{night}经常被熏醒。",
        "{loc}附近的河道水面发黑发臭，疑似有企业往河里排放污水。",
        "{shop}的油烟直排，没有安装油烟净化设备，楼上住户无法开窗。",
        "{loc}渣土车未覆盖篷布，沿路抛洒，扬尘很大。",
        "{town}有人在田里焚烧秸秆，浓烟很大，影响道路通行。",
    )),
    "住房": (16, ("德阳市住房和城乡建设局", "{district}住房和城乡建设局"), (
        "{estate}的物业公司服务差，电梯经常故障，维修资金使用情况不公开。",
        "所购买的{estate}商品房已逾期{months}个月未交房，开发商一直推脱。",
        "{estate}{n}栋顶楼漏水{dur}，物业和开发商互相推诿。",
        "租住{estate}的房子到期退租，房东以各种理由扣押金{money}元不退。",
        "{estate}的电梯停运{dur}，老人上下楼十分困难。",
        "申请公租房已经{months}个月，一直没有收到审核结果。",
    )),
    "劳动保障": (10, ("德阳市人力资源和社会保障局", "{district}人力资源和社会保障局"), (
        "在{company}工作，公司已拖欠{months}个月工资共计{money}元，多次讨要未果。",
        "{company}至今未给员工缴纳社保，也没有签订劳动合同。",
        "在{loc}的工地务工，包工头拖欠农民工工资{money}元。",
        "被{company}无故辞退，公司拒绝支付经济补偿。",
        "咨询灵活就业人员社保缴费标准和办理流程。",
    )),
    "市场监管": (12, ("德阳市市场监督管理局", "{district}市场监督管理局"), (
        "在{shop}购买的食品已过保质期，商家拒绝退换。",
        "在{loc}的{shop}办理了预付卡，现在门店关门，余额{money}元无法退还。",
        "在{town}农贸市场买菜发现缺斤短两，商家使用的电子秤有问题。",
        "{company}销售的产品存在虚假宣传，实际效果与宣传严重不符。",
        "{shop}标价与结账价格不一致，存在价格欺诈。",
    )),
    "教育": (5, ("德阳市教育局", "{district}教育局"), (
        "{school}违规组织学生参加收费补课，每人收费{money}元。",
        "孩子入学划片有问题，户籍在{estate}却被划到较远的学校。",
        "{loc}有校外培训机构无证办学，希望相关部门核查。",
    )),
    "医疗卫生": (4, ("德阳市卫生健康委员会",), (
        "在{hospital}就医时排队时间过长，医生态度差。",
        "{loc}有诊所存在无证行医的情况。",
        "咨询医保异地就医备案如何办理。",
    )),
    "水电气": (7, ("德阳市水务局", "德阳市经济和信息化局"), (
        "{estate}{dur}频繁停水，没有提前通知，生活受影响。",
        "{loc}的自来水浑浊发黄，有异味。",
        "{estate}最近电压不稳，经常跳闸，家电已损坏。",
        "燃气公司上门安检后要求更换燃气管，收费{money}元，怀疑存在强制消费。",
    )),
}

OPENINGS = {
    "电话": ("市民来电反映：", "来电人反映：", "市民来电称：", "来电反映："),
    "网站": ("网友留言：", "市民通过政府网站留言反映：", "留言内容："),
    "微信": ("市民通过微信公众号反映：", "微信留言：", "网友留言："),
    "APP": ("市民通过“天府通办”APP反映：", "APP留言：", "网友留言："),
}
DURATIONS = ("三天", "一周", "半个多月", "一个多月", "两个月", "好几个月")
NIGHTS = ("晚上十点以后", "凌晨两三点", "每天早上六点前", "半夜十二点")
FOLLOW_UPS = (
    "该问题已持续{dur}，", "曾向社区反映但一直没有解决，", "之前已经打过12345，", "", "",
    "多次向有关单位反映无果，", "周边群众意见很大，",
)
CLOSINGS = (
    "希望相关部门尽快处理。", "请相关部门核实处理并回复。", "请求有关部门予以解决。",
    "希望政府部门加强监管。", "要求尽快解决。", "望尽快给予答复。",
)
PII_INTROS = (
    "来电人{name}称，", "我是{name}，", "本人{name}（身份证号：{id}），",
    "我叫{name}，身份证号码{id}，", "{surname}女士反映，", "{surname}先生反映，",
)
PII_TAILS = (
    "联系电话：{mobile}。", "请回电{mobile}。", "来电人{surname}先生，联系方式{mobile}。",
    "联系人：{name}，电话{mobile}，身份证号{id}。", "本人身份证号{id}，手机{mobile}。",
    "{name}，{mobile}", "回访请联系{surname}女士{mobile}。",
)
# Look-alikes for PII detection to get wrong: a Deyang landline (area code 0838), a number
# already masked by the web form, an order number.
DECOYS = (
    "也可拨打座机{landline}联系。", "原手机号{masked}已停用。", "订单号{order}。",
    "门店电话{landline}一直无人接听。",
)
