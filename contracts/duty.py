"""Duties: attribution, payment (``compensate``) and deletion (ODRL 2.2 §2.6.6, Common Vocabulary).

A payment duty is fulfilled by an active (paid) agreement; the evaluator returns the others to
the caller with every allowed decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import PolicyError
from contracts.operands import check_text, enum_value, set_field
from contracts.vocab import DutyAction

__all__ = ["DUTY_FIELDS", "Duty"]

#: The optional fields each kind of duty requires (all others must be None).
DUTY_FIELDS: dict[DutyAction, frozenset[str]] = {
    DutyAction.ATTRIBUTE: frozenset({"attribution"}),
    DutyAction.COMPENSATE: frozenset({"amount_fen", "currency"}),
    DutyAction.DELETE: frozenset({"within_days"}),
}


def _int(value: object, low: int, high: int, path: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise PolicyError(f"must be an integer in [{low}, {high}]", path)
    return value


@dataclass(frozen=True)
class Duty:
    """attribute (``attribution`` text), compensate (``amount_fen`` + ``currency``) or delete
    (copies deleted ``within_days`` after the agreement ends)."""

    action: DutyAction
    attribution: str | None = None
    amount_fen: int | None = None
    currency: str | None = None
    within_days: int | None = None

    def __post_init__(self) -> None:
        action = enum_value(DutyAction, self.action, "/action", "duty action")
        set_field(self, "action", action)
        wanted = DUTY_FIELDS[action]
        for name in ("attribution", "amount_fen", "currency", "within_days"):
            if (getattr(self, name) is None) == (name in wanted):
                verb = "is required" if name in wanted else "is not allowed"
                raise PolicyError(f"{name} {verb} for a {action} duty", f"/{name}")
        if action is DutyAction.ATTRIBUTE:
            check_text(self.attribution, "/attribution")
        elif action is DutyAction.COMPENSATE:
            _int(self.amount_fen, 0, 2**53 - 1, "/amount_fen")
            if not (isinstance(self.currency, str) and len(self.currency) == 3
                    and self.currency.isascii() and self.currency.isupper()):
                raise PolicyError("must be an ISO 4217 code such as CNY", "/currency")
        else:
            _int(self.within_days, 0, 3650, "/within_days")
