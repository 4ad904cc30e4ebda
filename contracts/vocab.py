"""The policy vocabulary: actions, duties, left operands and operators (ODRL 2.2 §2, §4.2).

Operator and left-operand spellings are ODRL 2.2 Core/Common Vocabulary terms (``isAnyOf``,
``dateTime``…); actions are this exchange's own profile terms. Actions form a small ``includedIn``
hierarchy (ODRL 2.2 Vocabulary §4.3): a rule about the broader action also covers the narrower one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "COMPARABLE",
    "MULTI_VALUED",
    "OPERATORS_FOR",
    "Action",
    "DutyAction",
    "LeftOperand",
    "LogicalOp",
    "Operator",
    "covers",
]


class Action(StrEnum):
    """What a party may (or may not) do with a data element."""

    USE = "use"  # broad consumption: covers query and api_access
    QUERY = "query"  # sandbox queries: only safe aggregates leave the platform
    API_ACCESS = "api_access"  # record delivery through the metered data API
    DERIVE = "derive"  # create derived works / products from the data
    REIDENTIFY = "reidentify"  # attempt to re-identify natural persons or enterprises
    TRANSFER = "transfer"  # onward transfer to a third party: covers resell, cross-border
    RESELL = "resell"
    CROSS_BORDER_TRANSFER = "cross_border_transfer"


# odrl:includedIn, restricted: permitting ``use`` does NOT permit derive/transfer/reidentify.
_INCLUDED_IN: dict[Action, Action] = {
    Action.QUERY: Action.USE,
    Action.API_ACCESS: Action.USE,
    Action.RESELL: Action.TRANSFER,
    Action.CROSS_BORDER_TRANSFER: Action.TRANSFER,
}


def covers(rule_action: Action, requested: Action) -> bool:
    """True if a rule about ``rule_action`` applies to a request for ``requested``."""
    action: Action | None = requested
    while action is not None:
        if action is rule_action:
            return True
        action = _INCLUDED_IN.get(action)
    return False


class DutyAction(StrEnum):
    """Duties (ODRL ``attribute``, ``compensate``, ``delete``)."""

    ATTRIBUTE = "attribute"
    COMPENSATE = "compensate"  # payment; fulfilled when the agreement is active (paid)
    DELETE = "delete"  # delete copies within N days after the agreement ends


class LeftOperand(StrEnum):
    """What a constraint talks about (ODRL 2.2 Vocabulary §4.19)."""

    PURPOSE = "purpose"
    DATE_TIME = "dateTime"
    ELAPSED_TIME = "elapsedTime"  # time since the agreement started; ISO 8601 days "P30D"
    COUNT = "count"
    SPATIAL = "spatial"  # ISO 3166 region code; "CN-51" lies within "CN"
    RECIPIENT = "recipient"  # the recipient organisation id


class Operator(StrEnum):
    """Constraint operators (ODRL 2.2 Vocabulary §4.20)."""

    EQ = "eq"
    NEQ = "neq"
    LT = "lt"
    LTEQ = "lteq"
    GT = "gt"
    GTEQ = "gteq"
    IS_ANY_OF = "isAnyOf"
    IS_NONE_OF = "isNoneOf"
    IS_ALL_OF = "isAllOf"


class LogicalOp(StrEnum):
    """Logical constraint operators (ODRL 2.2 §2.6.2; ``xone``/``andSequence`` not supported)."""

    AND = "and"
    OR = "or"


COMPARABLE = frozenset({Operator.EQ, Operator.NEQ, Operator.LT, Operator.LTEQ, Operator.GT,
                        Operator.GTEQ})
MULTI_VALUED = frozenset({Operator.IS_ANY_OF, Operator.IS_NONE_OF, Operator.IS_ALL_OF})
_SETS = frozenset({Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF})

#: Which operators make sense for which left operand (anything else is a PolicyError).
OPERATORS_FOR: dict[LeftOperand, frozenset[Operator]] = {
    LeftOperand.PURPOSE: _SETS | {Operator.IS_ALL_OF},
    LeftOperand.DATE_TIME: COMPARABLE,
    LeftOperand.ELAPSED_TIME: COMPARABLE,
    LeftOperand.COUNT: COMPARABLE,
    LeftOperand.SPATIAL: _SETS,
    LeftOperand.RECIPIENT: _SETS,
}
