"""The quality report (GB/T 36344-2018 dimensions, see :mod:`.quality_rules`): frozen values
holding the evidence — per check the rows it applies to (``n``) and those failing, masked
examples — from which every score is derived, so a reader can recompute each number.

Scores are 0-100: a check scores ``100 × (n - failures) / n`` (None when ``n == 0``); a
dimension, and a column within a dimension, the mean of its checks' scores; a column overall
and the element overall, the weighted mean of the dimension scores that exist (weights in
:data:`.quality_rules.DEFAULT_WEIGHTS`, renormalised).  Examples are masked with
:func:`.desensitise.mask` so that at least half of every value is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .desensitise import mask
from .quality_rules import DIMENSIONS

__all__ = [
    "FORMAT", "CheckResult", "ColumnProfile", "QualityReport", "mask_example", "render_example",
]

FORMAT = "elx.quality/v1"
EXAMPLE_CHARS = 48


def mask_example(value: object) -> str:
    """A value safe to show in a report: ``mask`` keeping at most the first ``n // 4`` (≤ 3)
    and last ``n // 6`` (≤ 2) characters, cut to :data:`EXAMPLE_CHARS`; None → ``NULL``."""
    if value is None:
        return "NULL"
    s = str(value)
    out = mask(s, min(3, len(s) // 4), min(2, len(s) // 6)) or ""
    return out if len(out) <= EXAMPLE_CHARS else out[: EXAMPLE_CHARS - 1] + "…"


def render_example(columns: Sequence[str], values: Sequence[object]) -> str:
    """One failing row's values, masked: ``v`` or ``col=v; col=v``."""
    masked = [mask_example(v) for v in values]
    if len(masked) == 1:
        return masked[0]
    return "; ".join(f"{c}={m}" for c, m in zip(columns, masked, strict=False))


def _mean(scores: Iterable[float | None]) -> float | None:
    present = [s for s in scores if s is not None]
    return sum(present) / len(present) if present else None


def _weighted(scores: dict[str, float | None], weights: dict[str, float]) -> float | None:
    used = [(s, weights[d]) for d, s in scores.items() if s is not None and weights[d] > 0]
    total = sum(w for _, w in used)
    return sum(s * w for s, w in used) / total if total else None


def _round(score: float | None) -> float | None:
    return None if score is None else round(score, 2)


@dataclass(frozen=True)
class CheckResult:
    """One check: ``failures`` of the ``n`` rows (or groups) it applies to."""

    id: str
    dimension: str
    kind: str
    columns: tuple[str, ...]
    n: int
    failures: int
    examples: tuple[str, ...] = ()
    detail: tuple[tuple[str, Any], ...] = ()

    @property
    def score(self) -> float | None:
        return None if self.n == 0 else 100.0 * (self.n - self.failures) / self.n

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "dimension": self.dimension, "kind": self.kind,
                "columns": list(self.columns), "n": self.n, "failures": self.failures,
                "score": _round(self.score), "examples": list(self.examples),
                "detail": dict(self.detail)}


@dataclass(frozen=True)
class ColumnProfile:
    """Per-column basics: nulls, blank texts and distinct non-null values of ``rows``
    (``distinct`` an estimate unless ``distinct_exact``)."""

    name: str
    type: str
    rows: int
    nulls: int
    blanks: int
    distinct: int
    semantic_type: str | None = None
    distinct_exact: bool = True

    @property
    def distinct_ratio(self) -> float | None:
        filled = self.rows - self.nulls
        return None if filled == 0 else self.distinct / filled


@dataclass(frozen=True)
class QualityReport:
    """The profile of one table; :meth:`to_dict` is its JSON form (deterministic)."""

    rows: int
    columns: tuple[ColumnProfile, ...]
    checks: tuple[CheckResult, ...]
    weights: tuple[tuple[str, float], ...]
    as_of: str | None = None

    def check(self, check_id: str) -> CheckResult:
        """The check with id ``check_id`` (the path of its rule, e.g. ``accuracy[0]``)."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def dimension_scores(self, column: str | None = None) -> dict[str, float | None]:
        """Mean check score per dimension (only checks naming ``column``, if given)."""
        return {d: _mean(c.score for c in self.checks if c.dimension == d
                         and (column is None or column in c.columns)) for d in DIMENSIONS}

    @property
    def score(self) -> float | None:
        return _weighted(self.dimension_scores(), dict(self.weights))

    def column_score(self, column: str) -> float | None:
        return _weighted(self.dimension_scores(column), dict(self.weights))

    def summary(self) -> dict[str, Any]:
        """What a ledger entry records: rows, overall and per-dimension scores."""
        return {"format": FORMAT, "rows": self.rows, "score": _round(self.score),
                "dimensions": {d: _round(s) for d, s in self.dimension_scores().items()}}

    def to_dict(self) -> dict[str, Any]:
        columns = []
        for c in self.columns:
            scores = self.dimension_scores(c.name)
            columns.append({
                "name": c.name, "type": c.type, "semantic_type": c.semantic_type,
                "rows": c.rows, "nulls": c.nulls, "blanks": c.blanks, "distinct": c.distinct,
                "distinct_exact": c.distinct_exact,
                "distinct_ratio": None if c.distinct_ratio is None else round(c.distinct_ratio, 6),
                "score": _round(self.column_score(c.name)),
                "dimensions": {d: _round(s) for d, s in scores.items() if s is not None},
            })
        return self.summary() | {"as_of": self.as_of, "weights": dict(self.weights),
                                 "columns": columns,
                                 "checks": [c.to_dict() for c in self.checks]}

    def to_json(self) -> str:
        """Canonical JSON text: sorted keys, no insignificant whitespace, UTF-8 characters."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
