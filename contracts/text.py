"""Human-readable contract text in Chinese or English, rendered from the policy structure.

Every permission, prohibition, duty and constraint appears as a numbered clause; the text ends
with the deny-by-default and prohibitions-prevail rules that ``contracts.evaluate`` implements,
and names the policy digest so the text can be tied to the exact machine-readable policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from contracts.errors import PolicyError
from contracts.labels import ACTIONS, PURPOSES, SUBJECTS, WORDS, comparison
from contracts.model import ConstraintLike, Duty, LogicalConstraint, Policy
from contracts.operands import format_instant
from contracts.serial import policy_digest
from contracts.vocab import DutyAction, LeftOperand, LogicalOp

__all__ = ["LANGUAGES", "render"]

LANGUAGES = ("zh", "en")


def _value(lang: str, left: LeftOperand, value: Any) -> str:
    if isinstance(value, frozenset):
        return WORDS[lang]["sep"].join(_value(lang, left, v) for v in sorted(value))
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, timedelta):
        return WORDS[lang]["days"].format(n=value.days)
    if left is LeftOperand.COUNT:
        return WORDS[lang]["count"].format(n=value)
    if left is LeftOperand.PURPOSE:
        label = PURPOSES[lang].get(value)
        return f"{label}（{value}）" if label and lang == "zh" else (
            f"{label} ({value})" if label else str(value))
    return str(value)


def _constraint(lang: str, c: ConstraintLike) -> str:
    w = WORDS[lang]
    if isinstance(c, LogicalConstraint):
        head = w["all"] if c.op is LogicalOp.AND else w["any"]
        inner = w["sep"].join(_constraint(lang, x) for x in c.constraints)
        return f"{head}{w['open']}{inner}{w['close']}"
    words = (SUBJECTS[lang][c.left_operand], comparison(lang, c.left_operand, c.operator),
             _value(lang, c.left_operand, c.right_operand))
    return ("" if lang == "zh" else " ").join(words)


def _duty(lang: str, duty: Duty) -> str:
    phrase = WORDS[lang][duty.action.value]
    if duty.action is DutyAction.COMPENSATE:
        amount = Decimal(duty.amount_fen or 0).scaleb(-2)
        return phrase.format(amount=f"{amount:.2f}", currency=duty.currency)
    if duty.action is DutyAction.ATTRIBUTE:
        return phrase.format(text=duty.attribution)
    return phrase.format(days=duty.within_days)


def _clause(lang: str, head: str, action: Any, constraints: Any, duties: Any = ()) -> str:
    w = WORDS[lang]
    space = "" if lang == "zh" else " "
    text = f"{head}{space}{ACTIONS[lang][action]}"
    if constraints:
        text += w["if"] + w["and"].join(_constraint(lang, c) for c in constraints)
    if duties:
        text += w["duties"] + w["sep"].join(_duty(lang, d) for d in duties)
    return text + w["end"]


def _section(title: str, clauses: list[str], none: str) -> list[str]:
    body = [f"{i}. {c}" for i, c in enumerate(clauses, 1)] or [none]
    return ["", title, *body]


def render(policy: Policy, lang: str = "zh") -> str:
    """The contract text for ``policy`` in ``lang`` ("zh" or "en")."""
    if lang not in LANGUAGES:
        raise PolicyError(f"unsupported language {lang!r:.20}; use zh or en", "/lang")
    w = WORDS[lang]
    colon = "：" if lang == "zh" else ": "
    lines = [w["title"], f"{w['uid']}{colon}{policy.uid}",
             f"{w['digest']}{colon}{policy_digest(policy)}"]
    lines += _section(w["permissions"], [
        _clause(lang, w["may"], p.action, p.constraints, p.duties) for p in policy.permissions
    ], w["none"])
    lines += _section(w["prohibitions"], [
        _clause(lang, w["must_not"], p.action, p.constraints) for p in policy.prohibitions
    ], w["none"])
    lines += _section(w["obligations"], [
        f"{w['shall']}{'' if lang == 'zh' else ' '}{_duty(lang, d)}{w['end']}"
        for d in policy.obligations
    ], w["none"])
    return "\n".join([*lines, "", w["closing"], ""])
