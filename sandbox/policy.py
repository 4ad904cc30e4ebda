"""Per-element query policy (issue 7 §2): who the identity is, what may be grouped and
filtered, which aggregates over which columns within which bounds, and the privacy knobs.

Wire form (``QueryPolicy.from_dict`` / ``to_dict``; ε and bounds are decimal strings or ints,
never floats)::

    {"table": "element", "identity": "id", "dimensions": ["district", "age"],
     "aggregates": {"income": {"functions": ["sum", "avg"], "lower": "0", "upper": "200000"}},
     "k": 10, "epsilon_per_query": "0.5", "epsilon_per_license": "10", "max_rows": 1000,
     "max_groups": 10000, "max_rows_per_identity": 1,
     "allow_joins": false, "allow_subqueries": false}

``max_rows_per_identity`` is the contribution bound the noise is calibrated to; the runner
verifies it against the element once (see :mod:`sandbox.runner`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sandbox.errors import PolicyError
from sandbox.policy_doc import parse_policy

__all__ = ["AGGREGATE_FUNCTIONS", "AggregateRule", "QueryPolicy"]

AGGREGATE_FUNCTIONS = ("count", "count_distinct", "sum", "avg")
_NEEDS_BOUNDS = {"sum", "avg"}
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class AggregateRule:
    """Allowed aggregate functions over one column; SUM/AVG need clamping bounds."""

    functions: frozenset[str]
    lower: Decimal | None = None
    upper: Decimal | None = None


@dataclass(frozen=True)
class QueryPolicy:
    """An element's query policy; build it with :meth:`from_dict` (strict) or directly."""

    identity: str
    dimensions: frozenset[str]
    aggregates: Mapping[str, AggregateRule] = field(default_factory=dict)
    table: str = "element"
    k: int = 10
    epsilon_per_query: Decimal = Decimal("0.5")
    epsilon_per_license: Decimal = Decimal("10")
    max_rows: int = 1000
    max_groups: int = 10000
    max_rows_per_identity: int = 1
    allow_joins: bool = False
    allow_subqueries: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "aggregates", MappingProxyType(dict(self.aggregates)))
        if errors := _check(self):
            raise PolicyError(errors)

    @classmethod
    def from_dict(cls, doc: object) -> QueryPolicy:
        """Parse the wire form; unknown members, wrong types and bad values → PolicyError."""
        kw = parse_policy(doc)
        kw["aggregates"] = {col: AggregateRule(*rule) for col, rule in kw["aggregates"].items()}
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        """The wire form, canonical (sorted lists, decimals as strings)."""
        return {"table": self.table, "identity": self.identity,
                "dimensions": sorted(self.dimensions),
                "aggregates": {c: {"functions": sorted(r.functions),
                                   **({"lower": str(r.lower), "upper": str(r.upper)}
                                      if r.lower is not None and r.upper is not None else {})}
                               for c, r in sorted(self.aggregates.items())},
                "k": self.k, "epsilon_per_query": str(self.epsilon_per_query),
                "epsilon_per_license": str(self.epsilon_per_license),
                "max_rows": self.max_rows, "max_groups": self.max_groups,
                "max_rows_per_identity": self.max_rows_per_identity,
                "allow_joins": self.allow_joins, "allow_subqueries": self.allow_subqueries}

    def digest(self) -> str:
        """sha256 of the canonical JSON form: part of every query fingerprint."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _check(p: QueryPolicy) -> dict[str, str]:
    e: dict[str, str] = {}
    if not _TABLE.match(p.table):
        e["/table"] = "must be a lower-case SQL identifier"
    if not p.identity or p.identity in p.dimensions or p.identity in p.aggregates:
        e["/identity"] = "must be a column that is neither a dimension nor aggregated"
    if "" in p.dimensions:
        e["/dimensions"] = "column names must not be empty"
    for col, rule in p.aggregates.items():
        path = f"/aggregates/{col}"[:80]
        if not rule.functions or rule.functions - set(AGGREGATE_FUNCTIONS):
            e[f"{path}/functions"] = f"must be a non-empty subset of {list(AGGREGATE_FUNCTIONS)}"
        bounded = rule.lower is not None and rule.upper is not None
        if rule.functions & _NEEDS_BOUNDS and not (bounded and rule.lower < rule.upper):
            e[path] = "sum/avg need numeric bounds with lower < upper"
    for key, low in (("k", 2), ("max_rows", 1), ("max_groups", 1), ("max_rows_per_identity", 1)):
        if getattr(p, key) < low:
            e[f"/{key}"] = f"must be at least {low}"
    if p.max_rows > p.max_groups:
        e["/max_rows"] = "must not exceed max_groups"
    if not p.epsilon_per_query > 0:
        e["/epsilon_per_query"] = "must be positive"
    if not p.epsilon_per_license >= p.epsilon_per_query:
        e["/epsilon_per_license"] = "must be at least epsilon_per_query"
    for key in ("allow_joins", "allow_subqueries"):
        if getattr(p, key):
            e[f"/{key}"] = "not supported: no sound rewrite exists for it in this version"
    return e
