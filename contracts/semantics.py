"""Constraint semantics over request facts, in three-valued (Kleene) logic (ODRL 2.2 §2.5).

Each constraint is True, False or None (unknown: the request lacks the value it talks about).
Permissions need True; prohibitions apply unless False (fail closed). ``and``/``or`` follow
Kleene's strong logic. Set semantics, with P the request's purposes and S the right operand:
``eq x``: P = {x}; ``neq x``: x ∉ P; ``isAnyOf``: P ⊆ S; ``isNoneOf``: P ∩ S = ∅;
``isAllOf``: S ⊆ P. ``spatial`` matches by ISO 3166 containment ("CN-51" lies within "CN").
``count`` is the ordinal of the use being decided (uses so far + 1); ``elapsedTime`` is the time
since the agreement's ``valid_from``.
"""

from __future__ import annotations

import operator as _op
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.model import Constraint, ConstraintLike, LogicalConstraint
from contracts.operands import format_duration, format_instant
from contracts.vocab import LeftOperand, LogicalOp, Operator

__all__ = ["Facts", "Truth", "holds", "holds_all"]

Truth = bool | None


@dataclass(frozen=True)
class Facts:
    """Normalised request values; None means "not given" (or given in an unusable form)."""

    purposes: frozenset[str] | None = None
    at: datetime | None = None
    count: int | None = None
    elapsed: timedelta | None = None
    region: str | None = None
    recipient: str | None = None


_ORDER: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQ: _op.eq, Operator.NEQ: _op.ne, Operator.LT: _op.lt,
    Operator.LTEQ: _op.le, Operator.GT: _op.gt, Operator.GTEQ: _op.ge,
}


def _within(region: str, code: str) -> bool:
    return region == code or region.startswith(code + "-")


def _purpose(op: Operator, have: frozenset[str], right: Any) -> bool:
    if op is Operator.EQ:
        return have == {right}
    if op is Operator.NEQ:
        return right not in have
    if op is Operator.IS_ANY_OF:
        return have <= right
    if op is Operator.IS_NONE_OF:
        return not have & right
    return right <= have  # isAllOf


def _single(op: Operator, value: str, right: Any, match: Callable[[str, str], bool]) -> bool:
    if op in (Operator.EQ, Operator.NEQ):
        return match(value, right) == (op is Operator.EQ)
    hit = any(match(value, r) for r in right)
    return hit == (op is Operator.IS_ANY_OF)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value)


def _leaf(c: Constraint, facts: Facts) -> tuple[Truth, str]:
    left, op, right = c.left_operand, c.operator, c.right_operand
    text = f"{left.value} {op.value} {_show(right)}"
    have: Any = {
        LeftOperand.PURPOSE: facts.purposes, LeftOperand.DATE_TIME: facts.at,
        LeftOperand.COUNT: facts.count, LeftOperand.ELAPSED_TIME: facts.elapsed,
        LeftOperand.SPATIAL: facts.region,
        LeftOperand.RECIPIENT: facts.recipient,
    }[left]
    if have is None:
        return None, f"{text}: the request gives no {left.value}"
    if left is LeftOperand.PURPOSE:
        ok = _purpose(op, have, right)
    elif left in (LeftOperand.DATE_TIME, LeftOperand.COUNT, LeftOperand.ELAPSED_TIME):
        ok = _ORDER[op](have, right)
    else:
        ok = _single(op, have, right, _within if left is LeftOperand.SPATIAL else _op.eq)
    return ok, f"{text}: request has {left.value} {_show(have)}"


def _combine(op: LogicalOp, parts: list[tuple[Truth, str]]) -> tuple[Truth, str]:
    truths = [t for t, _ in parts]
    decisive = op is LogicalOp.OR  # the value that settles the whole expression
    if decisive in truths:
        value: Truth = decisive
    elif None in truths:
        value = None
    else:
        value = not decisive
    shown = [r for t, r in parts if t is not True] if value is not True else [
        r for t, r in parts if t is True]
    return value, f"{op.value}(" + "; ".join(shown) + ")"


def holds(c: ConstraintLike, facts: Facts) -> tuple[Truth, str]:
    """The truth of ``c`` for ``facts`` and a human-readable account of why."""
    if isinstance(c, LogicalConstraint):
        return _combine(c.op, [holds(x, facts) for x in c.constraints])
    return _leaf(c, facts)


def holds_all(constraints: tuple[ConstraintLike, ...], facts: Facts) -> tuple[Truth, list[str]]:
    """Implicit ``and`` over a rule's constraint list; reasons for the parts not True."""
    if not constraints:
        return True, []
    parts = [holds(c, facts) for c in constraints]
    value, _ = _combine(LogicalOp.AND, parts)
    return value, [r for t, r in parts if t is not True]
