"""contracts.text.render: bilingual contract text covering every rule, duty and constraint."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given

from contracts import (
    TEMPLATE_IDS,
    Action,
    Constraint,
    Duty,
    DutyAction,
    LeftOperand,
    LogicalConstraint,
    Permission,
    Policy,
    PolicyError,
    Prohibition,
    policy_digest,
    render,
    template,
)
from contracts.labels import ACTIONS, PURPOSES, SUBJECTS
from contracts.operands import format_instant
from tests.unit.contracts.strategies import T0, policies

CJK = re.compile(r"[\u4e00-\u9fff]")


def leaves(c: Constraint | LogicalConstraint) -> list[Constraint]:
    if isinstance(c, LogicalConstraint):
        return [x for inner in c.constraints for x in leaves(inner)]
    return [c]


def value_texts(c: Constraint) -> list[str]:
    right = c.right_operand
    values = sorted(right) if isinstance(right, frozenset) else [right]
    out = []
    for v in values:
        if isinstance(v, datetime):
            out.append(format_instant(v))
        elif isinstance(v, timedelta):
            out.append(str(v.days))
        else:
            out.append(str(v))
    return out


def duty_texts(d: Duty) -> list[str]:
    if d.action is DutyAction.ATTRIBUTE:
        return [d.attribution]
    if d.action is DutyAction.COMPENSATE:
        return [f"{Decimal(d.amount_fen).scaleb(-2):.2f}", d.currency]
    return [f" {d.within_days} "]


def assert_covers(policy: Policy, text: str, lang: str) -> None:
    assert policy_digest(policy) in text and policy.uid in text
    rules = list(policy.permissions) + list(policy.prohibitions)
    for rule in rules:
        assert ACTIONS[lang][rule.action] in text
        for c in (leaf for top in rule.constraints for leaf in leaves(top)):
            assert SUBJECTS[lang][c.left_operand] in text
            for value in value_texts(c):
                assert value in text
    for duty in [*policy.obligations, *(d for p in policy.permissions for d in p.duties)]:
        for part in duty_texts(duty):
            assert part in text
    clauses = [line for line in text.splitlines() if re.match(r"\d+\. ", line)]
    assert len(clauses) == len(rules) + len(policy.obligations)


@pytest.mark.parametrize("tid", TEMPLATE_IDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_templates_render_every_rule(tid, lang):
    kwargs = {"valid_days": 30, "regions": ["CN-51"], "price_fen": 12_345}
    if tid != "cc-by-4.0":
        kwargs["max_calls"] = 500
    policy = template(tid, **kwargs)
    assert_covers(policy, render(policy, lang), lang)


@given(policies)
def test_random_policies_render_every_rule_in_both_languages(policy):
    for lang in ("zh", "en"):
        assert_covers(policy, render(policy, lang), lang)


def test_chinese_text_uses_contract_terms():
    text = render(template("research-only", valid_days=30, price_fen=100), "zh")
    terms = ("数据许可合同", "许可", "禁止", "义务", "用途", "有效期", "科学研究", "删除",
             "支付")
    for term in terms:
        assert term in text
    assert len(CJK.findall(text)) > 100
    assert "被许可方不得重新识别自然人或组织的身份。" in text


def test_english_text_has_no_chinese_unless_quoted():
    policy = template("internal-analytics", attribution="elx", valid_days=10)
    text = render(policy, "en")
    assert not CJK.search(text)
    assert "The licensee must not re-identify natural persons or organisations." in text
    assert "Anything not expressly permitted is prohibited" in text


def test_known_purposes_are_named_in_words():
    policy = template("internal-analytics", purposes=["research", "urban_planning", "own_slug"])
    zh, en = render(policy, "zh"), render(policy, "en")
    for slug in ("research", "urban_planning"):
        assert PURPOSES["zh"][slug] in zh and PURPOSES["en"][slug] in en
    assert "own_slug" in zh and "own_slug" in en


def test_exact_clause_wording():
    policy = Policy("p", permissions=(Permission(Action.QUERY, (
        Constraint(LeftOperand.COUNT, "lteq", 100),
        Constraint(LeftOperand.DATE_TIME, "lt", T0))),))
    assert ("1. 被许可方可以在数据沙箱中查询数据元件（仅输出安全聚合结果），"
            "条件：累计使用次数不超过 100 次；并且使用时间早于2026-03-01T00:00:00Z。"
            ) in render(policy, "zh")
    assert ("1. The licensee may query the data element in the sandbox (safe aggregates only), "
            "provided that the running count of uses is at most 100; and the time of use is "
            "before 2026-03-01T00:00:00Z.") in render(policy, "en")


def test_empty_sections_say_so():
    text = render(Policy("p", prohibitions=(Prohibition(Action.RESELL),)), "en")
    assert text.count("None.") == 2


@pytest.mark.parametrize("lang", ["fr", "", "ZH", None])
def test_unsupported_language(lang):
    with pytest.raises(PolicyError):
        render(template("cc-by-4.0"), lang)
