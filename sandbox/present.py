"""From a cached noisy release to the buyer's answer (issue 7 §4), at no privacy cost.

Everything here is post-processing of already-noised values: choosing and ordering output
columns, AVG as noisy SUM / noisy COUNT (clamped into the column's bounds), HAVING, ORDER BY and
LIMIT (capped at the policy's ``max_rows``). :func:`release_to_dict` / :func:`release_from_dict`
give the JSON form to cache per (license, fingerprint).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.privacy import Release
from sandbox.vetted import VettedQuery

__all__ = ["PrivateResult", "present", "release_from_dict", "release_to_dict"]

_CMP = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class PrivateResult:
    """The answer: ``columns`` and ``rows`` as the buyer asked, plus accounting."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    suppressed: int
    epsilon_spent: Decimal
    truncated: bool
    fingerprint: str


def _value(release: Release, row: tuple[Any, ...], out: Any) -> Any:
    n = len(release.dimensions)
    if out.dimension is not None:
        return row[release.dimensions.index(out.dimension)]
    agg = out.aggregate
    if agg.func != "avg":
        return row[n + release.mechanisms.index(agg.label)]
    total = row[n + release.mechanisms.index(f"sum({agg.column})")]
    count = row[n + release.mechanisms.index(f"count({agg.column})")]
    if count <= 0:
        return None
    low, high = release.bounds[f"sum({agg.column})"]
    return min(max(total / count, float(low)), float(high))


def present(release: Release, vetted: VettedQuery) -> PrivateResult:
    """The buyer's view of ``release`` for ``vetted`` (which must share its fingerprint)."""
    if release.fingerprint != vetted.fingerprint:
        raise ValueError("the release belongs to a different query")
    rows = [tuple(_value(release, r, o) for o in vetted.outputs) for r in release.rows]
    for term in vetted.having:
        test = _CMP[term.op]
        rows = [r for r in rows if r[term.output] is not None
                and test(Decimal(str(r[term.output])), term.value)]
    for key in reversed(vetted.order):
        present_rows = [r for r in rows if r[key.output] is not None]
        nulls = [r for r in rows if r[key.output] is None]
        present_rows.sort(key=lambda r: r[key.output], reverse=key.descending)
        rows = present_rows + nulls
    cap = min(vetted.limit or vetted.max_rows, vetted.max_rows)
    truncated = vetted.limit is None and len(rows) > cap  # cut by the policy, not the buyer
    return PrivateResult(vetted.columns, tuple(rows[:cap]), release.suppressed,
                         release.epsilon_spent, truncated, release.fingerprint)


def _encode(v: Any) -> Any:
    if isinstance(v, Decimal):
        return {"decimal": str(v)}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    return v


def _decode(v: Any) -> Any:
    if isinstance(v, dict):
        return Decimal(v["decimal"]) if "decimal" in v else date.fromisoformat(v["date"])
    return v


def release_to_dict(release: Release) -> dict[str, Any]:
    """JSON-safe form of a release (decimals and dates tagged, ε as a string)."""
    return {"fingerprint": release.fingerprint, "dimensions": list(release.dimensions),
            "mechanisms": list(release.mechanisms),
            "rows": [[_encode(v) for v in r] for r in release.rows],
            "suppressed": release.suppressed, "epsilon_spent": str(release.epsilon_spent),
            "mechanism_epsilons": list(release.mechanism_epsilons),
            "bounds": {k: [str(lo), str(hi)] for k, (lo, hi) in release.bounds.items()}}


def release_from_dict(doc: dict[str, Any]) -> Release:
    """Inverse of :func:`release_to_dict`."""
    return Release(doc["fingerprint"], tuple(doc["dimensions"]), tuple(doc["mechanisms"]),
                   tuple(tuple(_decode(v) for v in r) for r in doc["rows"]),
                   int(doc["suppressed"]), Decimal(doc["epsilon_spent"]),
                   tuple(doc["mechanism_epsilons"]),
                   {k: (Decimal(lo), Decimal(hi)) for k, (lo, hi) in doc["bounds"].items()})
