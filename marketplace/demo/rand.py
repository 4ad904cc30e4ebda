"""Fast, deterministic random picks on a caller-owned ``random.Random``.

``rng.choice``/``rng.choices`` cost several Python calls each; at millions of rows that
dominates.  ``pick`` and :class:`Weighted` use one ``rng.random()`` (C) per draw.  The
result is still a pure function of the generator's state, so output stays reproducible.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from typing import Generic, TypeVar

__all__ = ["Weighted", "pick"]

T = TypeVar("T")


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """A uniformly chosen element of a non-empty sequence."""
    return seq[int(rng.random() * len(seq))]


class Weighted(Generic[T]):
    """Choose among ``items`` with probability proportional to ``weights``."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items or min(weights) < 0:
            raise ValueError("need one non-negative weight per item")
        total, cum = float(sum(weights)), []
        running = 0.0
        for w in weights:
            running += w
            cum.append(running / total)
        cum[-1] = 1.0
        self.items = tuple(items)
        self.cum = tuple(cum)

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random())]
