"""Privacy on the result (issue 7 §4): k-suppression, then Laplace noise per mechanism.

:func:`apply_privacy` turns the engine's rows into a :class:`Release`: groups with fewer than k
distinct identities are dropped (their number is reported), every remaining mechanism value
gets OpenDP Laplace noise with ε split evenly over the mechanisms, and the identity counts are
discarded. The whole ``epsilon_per_query`` is charged whatever the data (even when every group
was suppressed), so the charge itself reveals nothing. A release is what the caller caches per
(license, fingerprint): asking again returns it unchanged, so averaging gains nothing.

What this does **not** give: the *set* of released groups depends on exact identity counts
(k-suppression is a deterministic threshold, not DP), and ``suppressed`` is exact. The noise
protects every released number; the ε budget bounds how much any sequence of distinct queries
(differencing pairs, re-spelled repeats) can learn in total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.errors import BudgetExhausted, PolicyError
from sandbox.noise import Noise, OpenDPLaplace, split_epsilon
from sandbox.rewrite import ExecutionPlan
from sandbox.rules import reject

__all__ = ["Release", "apply_privacy", "charge"]


@dataclass(frozen=True)
class Release:
    """The noisy answer of one fingerprint: rows are dimension values then one noisy value per
    mechanism (in ``mechanisms`` order), sorted by dimensions."""

    fingerprint: str
    dimensions: tuple[str, ...]
    mechanisms: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    suppressed: int
    epsilon_spent: Decimal
    mechanism_epsilons: tuple[float, ...] = ()
    bounds: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


def charge(spent: Decimal, cost: Decimal, limit: Decimal) -> Decimal:
    """The license's new ε total after paying ``cost``; BudgetExhausted if over ``limit``."""
    if spent + cost > limit:
        raise BudgetExhausted()
    return spent + cost


def _key(row: Sequence[Any], n: int) -> tuple[Any, ...]:
    return tuple((v is None, "" if v is None else v) for v in row[:n])


def apply_privacy(rows: Sequence[Sequence[Any]], plan: ExecutionPlan, *,
                  max_rows_per_identity: int, noise: Noise | None = None) -> Release:
    """Privatise the engine's rows for ``plan``. ``max_rows_per_identity`` is the element's
    observed contribution bound (from :meth:`SandboxRunner.execute`); if it exceeds the
    policy's, the noise would be mis-calibrated, so nothing is released."""
    if max_rows_per_identity > plan.max_rows_per_identity:
        raise PolicyError({"/max_rows_per_identity": "the element has identities with more "
                           "rows than the policy's contribution bound"})
    if len(rows) > plan.max_groups:
        reject("sandbox.result.too_many_groups")
    noise = noise or OpenDPLaplace()
    n = len(plan.dimensions)
    kept = sorted((r for r in rows if r[n] >= plan.k), key=lambda r: _key(r, n))
    share = split_epsilon(plan.epsilon, len(plan.mechanisms))
    columns: list[list[Any]] = []
    spent: list[float] = []
    for j, mech in enumerate(plan.mechanisms):
        raw = [_number(r[n + 1 + j]) for r in kept]
        noisy, eps = noise.laplace(raw, mech.sensitivity, share, mech.integer)
        if mech.label.startswith("count"):
            noisy = [max(0, v) for v in noisy]
        columns.append(noisy)
        spent.append(eps)
    out = tuple(tuple(r[:n]) + tuple(col[i] for col in columns) for i, r in enumerate(kept))
    bounds = {m.label: (m.lower, m.upper) for m in plan.mechanisms
              if m.lower is not None and m.upper is not None}
    return Release(plan.fingerprint, plan.dimensions, tuple(m.label for m in plan.mechanisms),
                   out, len(rows) - len(kept), plan.epsilon, tuple(spent), bounds)


def _number(value: Any) -> int | float:
    if value is None:
        return 0
    return value if isinstance(value, int) else float(value)
