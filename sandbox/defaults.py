"""A starting query policy derived from an element's schema and PII report (issue 7 §2).

The PII report is the shape the pipeline publishes (``{"columns": {col: {"kinds": [...]}},
"licensed_personal_data": [{"column": ...}]}``) or its ledger summary (``{"findings": {col:
{kind: n}}}``). Rules: the identity is the declared one, else the first column where a personal
identifier (resident id, USCC, mobile, email, bank card) was found, else a column named ``id``
or ``*_id``. Columns with direct-identifier findings (names, phone numbers…) are neither
dimensions nor aggregated. Text, date, boolean and integer columns become dimensions (COUNT and
COUNT DISTINCT allowed on them); numeric columns with declared ``bounds`` also allow SUM/AVG.
The merchant reviews and edits the result; nothing here reads the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.errors import PolicyError
from sandbox.model import column_kind
from sandbox.policy import AggregateRule, QueryPolicy

__all__ = ["DIRECT_IDENTIFIERS", "IDENTITY_KINDS", "default_policy"]

IDENTITY_KINDS = ("resident_id", "uscc", "mobile", "email", "bank_card")
DIRECT_IDENTIFIERS = ("resident_id", "uscc", "bank_card", "mobile", "landline", "email",
                      "plate", "name")


def _kinds(pii: Mapping[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for col, report in (pii.get("columns") or {}).items():
        found[col] = set(report.get("kinds") or ()) | {
            k for k, n in (report.get("counts") or {}).items() if n}
    for col, counts in (pii.get("findings") or {}).items():
        found.setdefault(col, set()).update(k for k, n in counts.items() if n)
    return found


def default_policy(columns: Mapping[str, str], pii: Mapping[str, Any], *,
                   identity: str | None = None,
                   bounds: Mapping[str, tuple[Decimal, Decimal]] | None = None,
                   **overrides: Any) -> QueryPolicy:
    """A conservative policy for an element with schema ``columns`` (name → DuckDB type)."""
    kinds = _kinds(pii)
    licensed = [x.get("column") for x in pii.get("licensed_personal_data") or ()]
    if identity is None:
        flagged = [c for c in [*licensed, *columns] if c in columns
                   and kinds.get(c, set()) & set(IDENTITY_KINDS)]
        named = [c for c in columns if c.lower() == "id" or c.lower().endswith("_id")]
        identity = (flagged or named or [None])[0]
    if identity is None or identity not in columns:
        raise PolicyError({"/identity": "no identity column found; declare one"})
    bounds = bounds or {}
    dims: set[str] = set()
    aggs: dict[str, AggregateRule] = {}
    for col, sql_type in columns.items():
        kind = column_kind(sql_type)
        if col == identity or kinds.get(col, set()) & set(DIRECT_IDENTIFIERS):
            continue
        if kind in ("text", "date", "bool", "int"):
            dims.add(col)
        if kind in ("int", "float") and col in bounds:
            low, high = bounds[col]
            aggs[col] = AggregateRule(frozenset({"count", "sum", "avg"}), Decimal(low),
                                      Decimal(high))
        elif kind == "float":
            aggs[col] = AggregateRule(frozenset({"count"}))
    return QueryPolicy(identity=identity, dimensions=frozenset(dims), aggregates=aggs,
                       **overrides)
