"""Input checks shared by the journal and the fee schedules: each raises ``ValidationFailed``
(422, naming the field) or returns its value."""

from __future__ import annotations

import re
from datetime import datetime

from marketplace.errors import ValidationFailed
from marketplace.revenue.postings import merchant_payable

CURRENCY = re.compile(r"[A-Z]{3}")


def currency(value: str) -> str:
    if not isinstance(value, str) or not CURRENCY.fullmatch(value):
        raise ValidationFailed(errors={"currency": ["An ISO 4217 code such as CNY."]})
    return value


def instant(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationFailed(errors={field: ["A timezone-aware instant."]})
    return value


def amount(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(errors={field: ["A positive integer amount of minor units."]})
    return value


def reference(value: str, field: str = "reference") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise ValidationFailed(errors={field: ["1 to 64 characters."]})
    return value


def merchant_account(org_id: str) -> str:
    try:
        return merchant_payable(org_id)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(errors={"merchant_org_id": ["Not an organisation id."]}) from exc
