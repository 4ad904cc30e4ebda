"""Policy values: constraints, rules and policies (ODRL 2.2 Information Model §2).

Frozen dataclasses (``Duty`` lives in ``contracts.duty``); every constructor validates its own
fields (raising :class:`PolicyError` with a path relative to the value), so a ``Policy`` that
exists is well-formed. Strings given for enum fields and lists given for tuple/set fields are
normalised on construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.duty import Duty
from contracts.errors import PolicyError
from contracts.operands import check_right_operand, check_text, enum_value, set_field
from contracts.vocab import Action, LeftOperand, LogicalOp, Operator

__all__ = [
    "MAX_CONSTRAINTS",
    "MAX_DEPTH",
    "MAX_RULES",
    "PROFILE",
    "Constraint",
    "ConstraintLike",
    "Duty",
    "LogicalConstraint",
    "Permission",
    "Policy",
    "Prohibition",
    "RightOperand",
]

PROFILE = "urn:elx:odrl-profile:contracts:1"  # ODRL 2.2 §2.2.1 profile IRI
MAX_RULES = 32  # per permission / prohibition / obligation list
MAX_CONSTRAINTS = 16  # per constraint list (rule constraints or a logical constraint's operands)
MAX_DEPTH = 4  # logical constraints nested at most this deep

RightOperand = str | int | datetime | timedelta | frozenset[str]


def _tuple(value: object, kind: type | tuple[type, ...], path: str, limit: int) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise PolicyError("must be a list", path)
    if len(value) > limit:
        raise PolicyError(f"at most {limit} items", path)
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise PolicyError("wrong kind of item", f"{path}/{i}")
    return tuple(value)


@dataclass(frozen=True)
class Constraint:
    """``left_operand operator right_operand``, e.g. ``purpose isAnyOf {research}``."""

    left_operand: LeftOperand
    operator: Operator
    right_operand: RightOperand

    def __post_init__(self) -> None:
        left = enum_value(LeftOperand, self.left_operand, "/leftOperand", "left operand")
        op = enum_value(Operator, self.operator, "/operator", "operator")
        set_field(self, "left_operand", left)
        set_field(self, "operator", op)
        set_field(self, "right_operand", check_right_operand(left, op, self.right_operand))


@dataclass(frozen=True)
class LogicalConstraint:
    """``and`` / ``or`` over constraints (ODRL 2.2 §2.6.2), nested at most MAX_DEPTH deep."""

    op: LogicalOp
    constraints: tuple[ConstraintLike, ...]

    def __post_init__(self) -> None:
        op = enum_value(LogicalOp, self.op, "", "logical operator")
        items = _tuple(self.constraints, (Constraint, LogicalConstraint), f"/{op}", MAX_CONSTRAINTS)
        if not items:
            raise PolicyError("needs at least one constraint", f"/{op}")
        if self.depth > MAX_DEPTH:
            raise PolicyError(f"logical constraints nest deeper than {MAX_DEPTH}", f"/{op}")
        set_field(self, "op", op)
        set_field(self, "constraints", items)

    @property
    def depth(self) -> int:
        inner = [c.depth for c in self.constraints if isinstance(c, LogicalConstraint)]
        return 1 + max(inner, default=0)


ConstraintLike = Constraint | LogicalConstraint


def _constraints(value: object) -> tuple[ConstraintLike, ...]:
    return _tuple(value, (Constraint, LogicalConstraint), "/constraint", MAX_CONSTRAINTS)


@dataclass(frozen=True)
class Permission:
    """The assignee may do ``action`` when every constraint holds and duties are met."""

    action: Action
    constraints: tuple[ConstraintLike, ...] = ()
    duties: tuple[Duty, ...] = ()

    def __post_init__(self) -> None:
        set_field(self, "action", enum_value(Action, self.action, "/action", "action"))
        set_field(self, "constraints", _constraints(self.constraints))
        set_field(self, "duties", _tuple(self.duties, Duty, "/duty", MAX_RULES))


@dataclass(frozen=True)
class Prohibition:
    """The assignee must not do ``action`` when every constraint holds (or cannot be checked)."""

    action: Action
    constraints: tuple[ConstraintLike, ...] = ()

    def __post_init__(self) -> None:
        set_field(self, "action", enum_value(Action, self.action, "/action", "action"))
        set_field(self, "constraints", _constraints(self.constraints))


@dataclass(frozen=True)
class Policy:
    """An ODRL-style policy: permissions, prohibitions and policy-wide obligations."""

    uid: str
    permissions: tuple[Permission, ...] = ()
    prohibitions: tuple[Prohibition, ...] = ()
    obligations: tuple[Duty, ...] = ()
    profile: str = PROFILE

    def __post_init__(self) -> None:
        check_text(self.uid, "/uid", limit=128)
        if self.profile != PROFILE:
            raise PolicyError(f"unsupported profile; expected {PROFILE}", "/profile")
        permissions = _tuple(self.permissions, Permission, "/permission", MAX_RULES)
        prohibitions = _tuple(self.prohibitions, Prohibition, "/prohibition", MAX_RULES)
        set_field(self, "permissions", permissions)
        set_field(self, "prohibitions", prohibitions)
        set_field(self, "obligations", _tuple(self.obligations, Duty, "/obligation", MAX_RULES))
