"""Valuation documents in (marshmallow). Rates travel as decimal *strings* ("0.025"), never
JSON numbers, so no binary float touches a computation; amounts are integer fen."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.fields import Text
from marketplace.valuations.methods import COST_CATEGORIES

MAX_AMOUNT_FEN = 10**13  # 1 000 亿元 per amount
METHOD_NAMES = ("cost", "income", "market")
RELATIONS = ("shareholding", "common_control", "service_contract", "personnel", "other")
_DECIMAL = re.compile(r"-?[0-9]{1,6}(\.[0-9]{1,6})?")


class DecimalText(fields.Field):
    """A decimal number written as a JSON string, e.g. ``"0.035"``, within ``[low, high]``."""

    def __init__(self, low: str, high: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = Decimal(low), Decimal(high)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise ValidationError("A decimal number as a string, e.g. \"0.035\".")
        number = Decimal(value)
        if not self.low <= number <= self.high:
            raise ValidationError(f"Must be between {self.low} and {self.high}.")
        return number


class StrictInt(fields.Field):
    """A JSON integer within ``[low, high]`` (no booleans, no ``1.0``, no strings)."""

    def __init__(self, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is not int:
            raise ValidationError("An integer.")
        if not self.low <= value <= self.high:
            raise ValidationError(f"Must be between {self.low} and {self.high}.")
        return value


def Fen(**kwargs: Any) -> StrictInt:
    """An amount in fen, ``0..MAX_AMOUNT_FEN``."""
    return StrictInt(0, MAX_AMOUNT_FEN, **kwargs)


class CostItemIn(Schema):
    category = Text(required=True, validate=validate.OneOf(COST_CATEGORIES))
    amount_fen = Fen(required=True)


class CostIn(Schema):
    cost_items = fields.List(fields.Nested(CostItemIn), required=True,
                             validate=validate.Length(min=1, max=len(COST_CATEGORIES)))
    profit_rate = DecimalText("0", "1", load_default=Decimal(0))
    remaining_life_years = DecimalText("0", "100", load_default=None)
    economic_life_years = DecimalText("0.1", "100", load_default=None)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        categories = [i["category"] for i in data["cost_items"]]
        if len(set(categories)) != len(categories):
            raise ValidationError("Each category at most once.", field_name="cost_items")
        remaining, economic = data["remaining_life_years"], data["economic_life_years"]
        if (remaining is None) != (economic is None):
            raise ValidationError("Give both or neither.", field_name="economic_life_years")
        if remaining is not None and remaining > economic:
            raise ValidationError("Cannot exceed the economic life.",
                                  field_name="remaining_life_years")


class PremiumIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    rate = DecimalText("0", "0.5", required=True)


class IncomeIn(Schema):
    cash_flows_fen = fields.List(Fen(), required=True, validate=validate.Length(min=1, max=50))
    risk_free_rate = DecimalText("0", "0.2", required=True)
    risk_premia = fields.List(fields.Nested(PremiumIn), load_default=list,
                              validate=validate.Length(max=10))
    terminal_value_fen = Fen(load_default=0)

    @validates_schema
    def _rate(self, data: dict[str, Any], **_: Any) -> None:
        rate = data["risk_free_rate"] + sum((p["rate"] for p in data["risk_premia"]), Decimal(0))
        if not 0 < rate <= 1:
            raise ValidationError("The built-up discount rate must be in (0, 1].",
                                  field_name="risk_premia")


class MarketIn(Schema):
    domain = Text(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.Date(load_default=None)
    k_supply_demand = DecimalText("0.5", "2", load_default=Decimal(1))
    annual_price_change = DecimalText("-0.5", "0.5", load_default=Decimal(0))


class MethodsIn(Schema):
    cost = fields.Nested(CostIn, load_default=None)
    income = fields.Nested(IncomeIn, load_default=None)
    market = fields.Nested(MarketIn, load_default=None)

    @validates_schema
    def _some(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(m) for m in METHOD_NAMES):
            raise ValidationError("Use at least one of cost, income, market.")


class ReconciliationIn(Schema):
    weights = fields.Dict(keys=Text(validate=validate.OneOf(METHOD_NAMES)),
                          values=DecimalText("0", "1"), required=True)
    rationale = Text(required=True, multiline=True, validate=validate.Length(min=1, max=5000))


class ValuationIn(Schema):
    element_version = StrictInt(1, 2**31 - 1, load_default=None)
    agency_org_id = Text(load_default=None, validate=validate.Length(min=1, max=24))
    currency = Text(load_default="CNY", validate=validate.OneOf(["CNY"]))
    valuation_date = fields.Date(load_default=None)
    methods = fields.Nested(MethodsIn, required=True)
    reconciliation = fields.Nested(ReconciliationIn, load_default=None)


class ComparablesArgs(Schema):
    domain = Text(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.Date(load_default=None)
    currency = Text(load_default="CNY", validate=validate.OneOf(["CNY"]))
    cursor = Text(load_default=None)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class AffiliationIn(Schema):
    affiliated_org_id = Text(required=True, validate=validate.Length(min=1, max=24))
    relation = Text(required=True, validate=validate.OneOf(RELATIONS))
    note = Text(load_default="", multiline=True, validate=validate.Length(max=2000))


class AffiliationOut(Schema):
    id = fields.Str()
    agency_org_id = fields.Str()
    affiliated_org_id = fields.Str()
    relation = fields.Str()
    note = fields.Str()
    declared_by = fields.Str()
    declared_at = fields.DateTime(format="iso")
    ledger_index = fields.Int()


class ValuationOut(Schema):
    id = fields.Str()
    element_id = fields.Str()
    element_version_id = fields.Str()
    element_version = fields.Function(lambda v: v.record["element_version"])
    version = fields.Int()
    agency_org_id = fields.Str()
    assessor_user_id = fields.Str()
    currency = fields.Str()
    valuation_date = fields.Date()
    methods = fields.List(fields.Str())
    value_fen = fields.Int()
    low_fen = fields.Int()
    high_fen = fields.Int()
    record = fields.Dict()
    record_sha256 = fields.Str()
    created_at = fields.DateTime(format="iso")
    ledger_index = fields.Int()
