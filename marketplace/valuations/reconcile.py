"""Reconciling several valuation methods into one value, a range and a sensitivity table
(issue 5 §1; the guidance asks for a written reasoned choice when methods differ). Pure.

* one method: its value and range; no reconciliation may be given;
* two or more: weights per method (each in [0, 1], summing to exactly 1) and a written
  rationale of at least :data:`MIN_RATIONALE` characters are required;
  value = ``round_half_even(Σ w_m × value_m)`` over the methods' rounded fen values (so anyone
  can recompute it from the record); range = lowest method low .. highest method high.
* sensitivity: every method's rows, each with the reconciled value when only that method's
  driver moves (the other methods at their base values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from marketplace.valuations.methods import MethodResult, to_fen

MIN_RATIONALE = 20


@dataclass(frozen=True)
class Reconciliation:
    weights: Mapping[str, Decimal]
    rationale: str


@dataclass(frozen=True)
class SensitivityRow:
    method: str
    driver: str
    shift: str
    method_value_fen: int
    value_fen: int


@dataclass(frozen=True)
class Outcome:
    value_fen: int
    low_fen: int
    high_fen: int
    sensitivity: tuple[SensitivityRow, ...]


class ReconciliationError(ValueError):
    """Bad reconciliation; ``field`` names the offending part (``weights``, ``rationale``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check(methods: Sequence[str], rec: Reconciliation | None) -> dict[str, Fraction]:
    """The weights to apply (``{m: 1}`` for one method); raises :class:`ReconciliationError`."""
    if len(methods) == 1:
        if rec is not None:
            raise ReconciliationError("_schema", "Only one method: nothing to reconcile.")
        return {methods[0]: Fraction(1)}
    if rec is None:
        raise ReconciliationError("_schema", "Several methods need a written reconciliation.")
    if set(rec.weights) != set(methods):
        raise ReconciliationError("weights", f"Give a weight for each of {sorted(methods)}.")
    if any(not 0 <= w <= 1 for w in rec.weights.values()):
        raise ReconciliationError("weights", "Each weight must be between 0 and 1.")
    if sum(rec.weights.values(), Decimal(0)) != 1:
        raise ReconciliationError("weights", "The weights must add up to exactly 1.")
    if len(rec.rationale.strip()) < MIN_RATIONALE:
        raise ReconciliationError(
            "rationale", f"Explain the weighting in at least {MIN_RATIONALE} characters.")
    return {m: Fraction(w) for m, w in rec.weights.items()}


def reconcile(results: Sequence[MethodResult], rec: Reconciliation | None) -> Outcome:
    weights = check([r.method for r in results], rec)
    base = {r.method: Fraction(r.value_fen) for r in results}

    def weighted(values: Mapping[str, Fraction]) -> int:
        return to_fen(sum((weights[m] * v for m, v in values.items()), Fraction(0)))

    rows = tuple(SensitivityRow(r.method, s.driver, s.shift, s.value_fen,
                                weighted({**base, r.method: Fraction(s.value_fen)}))
                 for r in results for s in r.sensitivity)
    return Outcome(weighted(base), min(r.low_fen for r in results),
                   max(r.high_fen for r in results), rows)
