"""Bilingual (zh / en) wording for contract text: actions, duties, operators, purposes."""

from __future__ import annotations

from contracts.vocab import Action, LeftOperand, Operator

__all__ = ["ACTIONS", "COMPARISONS", "PURPOSES", "SUBJECTS", "WORDS", "comparison"]

ACTIONS: dict[str, dict[Action, str]] = {
    "zh": {
        Action.USE: "使用数据元件（含沙箱查询和接口访问）",
        Action.QUERY: "在数据沙箱中查询数据元件（仅输出安全聚合结果）",
        Action.API_ACCESS: "通过数据接口获取数据元件记录",
        Action.DERIVE: "基于数据元件加工形成衍生数据产品",
        Action.REIDENTIFY: "重新识别自然人或组织的身份",
        Action.TRANSFER: "向第三方转让、提供或共享数据",
        Action.RESELL: "转售数据",
        Action.CROSS_BORDER_TRANSFER: "向境外传输数据",
    },
    "en": {
        Action.USE: "use the data element (sandbox queries and API access)",
        Action.QUERY: "query the data element in the sandbox (safe aggregates only)",
        Action.API_ACCESS: "retrieve records of the data element through the data API",
        Action.DERIVE: "create derived data products from the data element",
        Action.REIDENTIFY: "re-identify natural persons or organisations",
        Action.TRANSFER: "transfer, provide or share the data with third parties",
        Action.RESELL: "resell the data",
        Action.CROSS_BORDER_TRANSFER: "transfer the data across borders",
    },
}

#: What a constraint's left operand is called.
SUBJECTS: dict[str, dict[LeftOperand, str]] = {
    "zh": {
        LeftOperand.PURPOSE: "使用用途", LeftOperand.DATE_TIME: "使用时间",
        LeftOperand.ELAPSED_TIME: "有效期（自协议生效起计算）", LeftOperand.COUNT: "累计使用次数",
        LeftOperand.SPATIAL: "使用地域", LeftOperand.RECIPIENT: "数据接收方",
    },
    "en": {
        LeftOperand.PURPOSE: "the purpose", LeftOperand.DATE_TIME: "the time of use",
        LeftOperand.ELAPSED_TIME: "the term (counted from the agreement's start)",
        LeftOperand.COUNT: "the running count of uses", LeftOperand.SPATIAL: "the region of use",
        LeftOperand.RECIPIENT: "the recipient",
    },
}

_T, _Q = (LeftOperand.DATE_TIME,), (LeftOperand.COUNT, LeftOperand.ELAPSED_TIME)
#: Operator wording by kind of operand: points in time, quantities, and values or sets.
COMPARISONS: dict[str, dict[str, dict[Operator, str]]] = {
    "zh": {
        "time": {Operator.EQ: "为", Operator.NEQ: "不为", Operator.LT: "早于",
                 Operator.LTEQ: "不晚于", Operator.GT: "晚于", Operator.GTEQ: "不早于"},
        "quantity": {Operator.EQ: "等于", Operator.NEQ: "不等于", Operator.LT: "少于",
                     Operator.LTEQ: "不超过", Operator.GT: "多于", Operator.GTEQ: "不少于"},
        "value": {Operator.EQ: "为", Operator.NEQ: "不为", Operator.IS_ANY_OF: "限于下列之一：",
                  Operator.IS_NONE_OF: "不得为下列任何一项：",
                  Operator.IS_ALL_OF: "须包括下列全部："},
    },
    "en": {
        "time": {Operator.EQ: "is exactly", Operator.NEQ: "is other than", Operator.LT: "is before",
                 Operator.LTEQ: "is no later than", Operator.GT: "is after",
                 Operator.GTEQ: "is no earlier than"},
        "quantity": {Operator.EQ: "equals", Operator.NEQ: "does not equal",
                     Operator.LT: "is less than", Operator.LTEQ: "is at most",
                     Operator.GT: "is more than", Operator.GTEQ: "is at least"},
        "value": {Operator.EQ: "is", Operator.NEQ: "is not", Operator.IS_ANY_OF: "is one of:",
                  Operator.IS_NONE_OF: "is none of:", Operator.IS_ALL_OF: "includes all of:"},
    },
}


def comparison(lang: str, left: LeftOperand, op: Operator) -> str:
    """The wording of ``op`` for ``left`` in ``lang``."""
    kind = "time" if left in _T else "quantity" if left in _Q else "value"
    return COMPARISONS[lang][kind][op]


PURPOSES: dict[str, dict[str, str]] = {
    "zh": {
        "research": "科学研究", "internal_analytics": "内部分析", "public_service": "公共服务",
        "service_integration": "业务系统集成", "product_development": "产品研发",
        "credit_assessment": "信用评估", "urban_planning": "城市规划", "marketing": "市场营销",
        "commercial": "商业经营",
    },
    "en": {
        "research": "scientific research", "internal_analytics": "internal analytics",
        "public_service": "public service", "service_integration": "service integration",
        "product_development": "product development", "credit_assessment": "credit assessment",
        "urban_planning": "urban planning", "marketing": "marketing", "commercial": "commerce",
    },
}

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "数据许可合同",
        "uid": "策略编号",
        "digest": "策略摘要（SHA-256）",
        "permissions": "一、许可",
        "prohibitions": "二、禁止",
        "obligations": "三、义务",
        "may": "被许可方可以",
        "must_not": "被许可方不得",
        "shall": "被许可方应当",
        "if": "，条件：",
        "and": "；并且",
        "all": "同时满足：",
        "any": "满足其一：",
        "sep": "；",
        "open": "（",
        "close": "）",
        "duties": "，并须履行以下义务：",
        "none": "无。",
        "end": "。",
        "attribute": "注明数据来源：“{text}”",
        "compensate": "支付许可费用 {amount} {currency}（以有效协议的付款为准）",
        "delete": "在协议终止或到期后 {days} 日内删除全部数据副本",
        "days": " {n} 日",
        "count": " {n} 次",
        "closing": "凡本合同未明确许可的行为，均予禁止；禁止条款优先于许可条款。"
        "协议处于非生效状态（待付款、暂停、到期、终止、撤销）或超出有效期时，不得行使任何许可。",
    },
    "en": {
        "title": "Data License Contract",
        "uid": "Policy",
        "digest": "Policy digest (SHA-256)",
        "permissions": "I. Permissions",
        "prohibitions": "II. Prohibitions",
        "obligations": "III. Obligations",
        "may": "The licensee may",
        "must_not": "The licensee must not",
        "shall": "The licensee shall",
        "if": ", provided that ",
        "and": "; and ",
        "all": "all of ",
        "any": "any of ",
        "sep": "; ",
        "open": "(",
        "close": ")",
        "duties": ", subject to these duties: ",
        "none": "None.",
        "end": ".",
        "attribute": "attribute the source as “{text}”",
        "compensate": "pay a license fee of {amount} {currency} (under a paid, active agreement)",
        "delete": "delete all copies of the data within {days} days after the agreement ends",
        "days": "{n} days",
        "count": "{n}",
        "closing": "Anything not expressly permitted is prohibited; prohibitions prevail over "
        "permissions. No permission may be exercised while the agreement is not active "
        "(pending payment, suspended, expired, terminated or revoked) or outside its term.",
    },
}
