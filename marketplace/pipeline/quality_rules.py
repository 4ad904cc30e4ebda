"""Declared data-quality rules of an element (issue 4 §4), parsed strictly from JSON.

The dimensions are those of GB/T 36344-2018 (信息技术 数据质量评价指标) §3: 规范性 (here
``validity``: type and pattern conformity), 完整性 (``completeness``), 准确性 (``accuracy``:
declared ranges, value sets and reference totals; its 数据重复率/数据唯一性 sub-indicators are
reported separately as ``uniqueness``), 一致性 (``consistency``: cross-column and cross-row
rules) and 时效性 (``timeliness``).  可访问性 is a property of the platform, not of the data.

Example (every key optional)::

    {"version": 1, "as_of": "2026-01-01",
     "semantic_types": {"uscc": "uscc", "established_on": "date"},
     "patterns": {"household_id": "5106[0-9]{10}"},
     "unique_keys": [["lot_id", "ts"]],
     "consistency": [{"rule": "le", "left": "occupied", "right": "capacity"},
                     {"rule": "same_value", "key": ["lot_id"], "value": "capacity"}],
     "timeliness": {"column": "ts", "window_days": 30},
     "accuracy": [{"rule": "range", "column": "water_m3", "min": 0, "max": 500},
                  {"rule": "allowed", "column": "status", "values": ["存续", "注销"]},
                  {"rule": "total", "column": "capacity", "expected": 9000, "tolerance": 0.01}],
     "weights": {"timeliness": 0}}

Semantic types: ``integer``, ``number``, ``date`` (``YYYY-MM-DD``), ``timestamp``, ``month``
(``YYYY-MM``), ``resident_id`` (GB 11643-1999), ``uscc`` (GB 32100-2015), ``mobile`` (11 digits,
``1[3-9]…``) and ``email``.  Patterns are RE2 (DuckDB) full-match expressions.  Every error
names the offending rule, by the path also used as the id of its check in the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "COMPARISONS", "DEFAULT_WEIGHTS", "DIMENSIONS", "SEMANTIC_TYPES", "Allowed", "Compare",
    "QualityRules", "QualityRulesError", "Range", "SameValue", "Timeliness", "Total",
]


class QualityRulesError(ValueError):
    """A rule is malformed or names an unknown column; ``rule`` names it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


DIMENSIONS = ("completeness", "uniqueness", "validity", "consistency", "timeliness", "accuracy")
# Weights of the overall score (renormalised over the dimensions that have checks): every
# column is measured for completeness and conformity, and these decide whether a buyer can
# use the data at all; declared business rules (consistency, accuracy) come next; uniqueness
# and timeliness depend most on what the element is for.
DEFAULT_WEIGHTS = (("completeness", 25.0), ("uniqueness", 10.0), ("validity", 25.0),
                   ("consistency", 15.0), ("timeliness", 10.0), ("accuracy", 15.0))
SEMANTIC_TYPES = ("integer", "number", "date", "timestamp", "month",
                  "resident_id", "uscc", "mobile", "email")
COMPARISONS = {"lt": "<", "le": "<=", "eq": "=", "ne": "<>", "ge": ">=", "gt": ">"}
Scalar = int | float | str


@dataclass(frozen=True)
class Compare:
    """Row rule ``left <op> right`` (both non-null), e.g. ``occupied <= capacity``."""

    rule: str
    left: str
    right: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class SameValue:
    """Cross-row rule: rows with the same ``key`` have at most one non-null ``value``."""

    key: tuple[str, ...]
    value: str
    rule: str = "same_value"

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, self.value)


@dataclass(frozen=True)
class Range:
    """Non-null values lie in ``[min, max]`` (either bound optional; ISO text for dates)."""

    column: str
    min: Scalar | None = None
    max: Scalar | None = None
    rule: str = "range"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class Allowed:
    """Non-blank values are one of ``values``."""

    column: str
    values: tuple[Scalar, ...]
    rule: str = "allowed"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class Total:
    """``SUM(column)`` is within ``tolerance`` (relative; absolute when expected is 0)."""

    column: str
    expected: int | float
    tolerance: float = 0.0
    rule: str = "total"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class Timeliness:
    """Rows dated within ``window_days`` before ``as_of`` (inclusive of that day) are fresh."""

    column: str
    window_days: int


@dataclass(frozen=True)
class QualityRules:
    """Everything a merchant declares about an element's expected quality."""

    semantic_types: tuple[tuple[str, str], ...] = ()
    patterns: tuple[tuple[str, str], ...] = ()
    unique_keys: tuple[tuple[str, ...], ...] = ()
    consistency: tuple[Compare | SameValue, ...] = ()
    accuracy: tuple[Range | Allowed | Total, ...] = ()
    timeliness: Timeliness | None = None
    as_of: dt.date | None = None
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS

    @classmethod
    def from_json(cls, data: object, columns: Iterable[str] | None = None) -> QualityRules:
        """Parse (a JSON text or its decoded value); ``columns`` also checks every name."""
        from .quality_parse import parse_rules  # the parser imports this module

        fields = parse_rules(data)
        weights = dict(DEFAULT_WEIGHTS) | fields.pop("weights", {})
        if not sum(weights.values()) > 0:
            raise QualityRulesError("weights", "at least one weight must be positive")
        rules = cls(**fields, weights=tuple((d, float(weights[d])) for d in DIMENSIONS))
        if rules.timeliness is not None and rules.as_of is None:
            raise QualityRulesError("timeliness", "needs as_of")
        if columns is not None:
            rules.check_columns(columns)
        return rules

    def to_json(self) -> dict[str, object]:
        """The JSON value :meth:`from_json` reads back into an equal object."""
        from .quality_parse import rule_json

        out: dict[str, object] = {"version": 1, "weights": dict(self.weights)}
        out |= {"semantic_types": dict(self.semantic_types), "patterns": dict(self.patterns),
                "unique_keys": [list(k) for k in self.unique_keys]}
        out["consistency"] = [rule_json(r) for r in self.consistency]
        out["accuracy"] = [rule_json(r) for r in self.accuracy]
        if self.timeliness is not None:
            out["timeliness"] = rule_json(self.timeliness)
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out

    def named_rules(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(rule name, columns it names)`` for every rule, in declaration order."""
        named = [(f"semantic_types.{c}", (c,)) for c, _ in self.semantic_types]
        named += [(f"patterns.{c}", (c,)) for c, _ in self.patterns]
        named += [(f"unique_keys[{i}]", k) for i, k in enumerate(self.unique_keys)]
        named += [(f"consistency[{i}] ({r.rule})", r.columns)
                  for i, r in enumerate(self.consistency)]
        named += [(f"accuracy[{i}] ({r.rule})", r.columns) for i, r in enumerate(self.accuracy)]
        if self.timeliness is not None:
            named.append(("timeliness", (self.timeliness.column,)))
        return named

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise :class:`QualityRulesError` naming the first rule that names an unknown column."""
        known = set(columns)
        for name, cols in self.named_rules():
            for col in cols:
                if col not in known:
                    raise QualityRulesError(name, f"unknown column {col!r}")
