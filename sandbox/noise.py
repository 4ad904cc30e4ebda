"""Laplace noise through OpenDP (issue 7 §4).

OpenDP (https://opendp.org, a vetted DP library) is used for every noisy value: its
``make_laplace`` on ``vector_domain(atom_domain(T))`` with ``l1_distance(T)`` adds discrete
Laplace noise to integer vectors and its discretised Laplace to float vectors, and its
``map(d_in)`` gives the privacy loss we report. OpenDP gates these measurements behind
``dp.enable_features("contrib")`` (they are not yet vetted by its own review board); we enable
it once, here, and nowhere else. OpenDP (its native library, numpy) is imported on the first
noisy release, not with the package: a web worker that never answers a sandbox query saves
~60 MB of resident memory (a 1 GiB upload's peak RSS has a 300 MB budget, issue 3).

:class:`OpenDPLaplace` picks the scale Δ/ε_j and widens it by one ulp at a time until OpenDP
itself certifies ``map(Δ) <= ε_j``, so the spent ε never exceeds the budget share.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from types import ModuleType
from typing import Protocol

__all__ = ["Noise", "OpenDPLaplace", "split_epsilon"]


@functools.cache
def _opendp() -> ModuleType:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


class Noise(Protocol):
    """Adds noise to one mechanism's values; returns them and the ε it certifies."""

    def laplace(self, values: Sequence[int | float], sensitivity: int | Decimal,
                epsilon: float, integer: bool) -> tuple[list[int | float], float]: ...


def split_epsilon(total: Decimal, parts: int) -> float:
    """The largest float ε_j with ``parts · ε_j <= total`` exactly (sequential composition)."""
    share = Fraction(total) / parts
    value = float(share)
    while Fraction(value) > share:
        value = math.nextafter(value, 0.0)
    return value


class OpenDPLaplace:
    """The real mechanism: OpenDP's vector Laplace (discrete for integers)."""

    def laplace(self, values: Sequence[int | float], sensitivity: int | Decimal,
                epsilon: float, integer: bool) -> tuple[list[int | float], float]:
        dp = _opendp()
        if integer:
            space = (dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"))
            d_in: int | float = int(sensitivity)
        else:
            space = (dp.vector_domain(dp.atom_domain(T=float, nan=False)),
                     dp.l1_distance(T=float))
            d_in = float(sensitivity)
            if Fraction(d_in) < Fraction(sensitivity):  # never round Δ down
                d_in = math.nextafter(d_in, math.inf)
        scale = float(d_in) / epsilon
        while True:
            measurement = dp.m.make_laplace(*space, scale=scale)
            spent = float(measurement.map(d_in))
            if spent <= epsilon:
                break
            scale = math.nextafter(scale, math.inf)
        if not values:
            return [], spent
        data = [int(v) for v in values] if integer else [float(v) for v in values]
        return list(measurement(data)), spent
