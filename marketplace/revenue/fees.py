"""Splitting a gross amount into merchant, platform and public-service shares (issue 6 §3).

Rules of :func:`split`, all in integer minor units (fen), so the shares add to gross exactly:

1. platform commission = ``gross × platform_bps / 10 000`` rounded half up, but at least the
   schedule's ``minimum_fee_fen`` and at most ``gross`` (an order below the minimum fee is all
   commission);
2. public-service share = ``gross × public_service_bps / 10 000`` rounded half up, at most what
   the commission left;
3. the merchant gets the remainder — never negative, because 1 and 2 are capped.

:func:`prorate` apportions part of a whole over shares by the D'Hondt (Jefferson) divisor
method: it is *house-monotone* — no share ever shrinks as the part grows — and exact when the
part is the whole. A refund reverses ``prorate(original, refunded_after) −
prorate(original, refunded_before)``, so every refund reverses a non-negative amount of each
share and a complete refund (in any number of steps) reverses the original split to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

BPS = 10_000


class Terms(Protocol):
    """What a fee schedule contributes to a split (a ``FeeSchedule`` row or :class:`Fees`)."""

    @property
    def platform_bps(self) -> int: ...
    @property
    def public_service_bps(self) -> int: ...
    @property
    def minimum_fee_fen(self) -> int: ...


@dataclass(frozen=True)
class Fees:
    platform_bps: int
    public_service_bps: int
    minimum_fee_fen: int = 0

    def __post_init__(self) -> None:
        check_terms(self)


def check_terms(terms: Terms) -> None:
    """Raise ``ValueError`` unless the bps are 0..10 000 (together too) and the minimum ≥ 0."""
    p, s, m = terms.platform_bps, terms.public_service_bps, terms.minimum_fee_fen
    if not (0 <= p <= BPS and 0 <= s <= BPS and p + s <= BPS and m >= 0):
        raise ValueError("basis points are 0..10000 (platform + public service too), "
                         "the minimum fee is >= 0")


@dataclass(frozen=True)
class Split:
    merchant_fen: int
    platform_fen: int
    public_service_fen: int

    @property
    def gross_fen(self) -> int:
        return self.merchant_fen + self.platform_fen + self.public_service_fen

    def shares(self) -> tuple[int, int, int]:
        return self.merchant_fen, self.platform_fen, self.public_service_fen


def _half_up(amount: int, bps: int) -> int:
    return (amount * bps + BPS // 2) // BPS


def split(gross_fen: int, schedule: Terms) -> Split:
    """Split ``gross_fen`` (≥ 0) by ``schedule``; see the module docstring for the rules."""
    if isinstance(gross_fen, bool) or not isinstance(gross_fen, int) or gross_fen < 0:
        raise ValueError("gross is a non-negative integer amount of minor units")
    check_terms(schedule)
    platform = min(gross_fen, max(schedule.minimum_fee_fen,
                                  _half_up(gross_fen, schedule.platform_bps)))
    public = min(gross_fen - platform, _half_up(gross_fen, schedule.public_service_bps))
    return Split(gross_fen - platform - public, platform, public)


def prorate(shares: Sequence[int], part: int) -> tuple[int, ...]:
    """Apportion ``part`` (0..sum) over ``shares`` (D'Hondt; ties go to the earlier share).

    Every share first gets ``floor(share × part / whole)`` — exactly the quotients
    ``share / j`` ≥ ``whole / part`` — then the few seats left go, one at a time, to the
    largest next quotient ``share / (seats + 1)``. That is the top-``part`` quotients of one
    fixed order, so growing ``part`` only ever adds seats.
    """
    whole = sum(shares)
    if any(s < 0 for s in shares) or not 0 <= part <= whole:
        raise ValueError("shares are >= 0 and part is within 0..sum(shares)")
    if part == whole:
        return tuple(shares)
    seats = [s * part // whole for s in shares]
    for _ in range(part - sum(seats)):
        best = 0
        for i in range(1, len(shares)):
            # shares[i]/(seats[i]+1) > shares[best]/(seats[best]+1), in integers
            if shares[i] * (seats[best] + 1) > shares[best] * (seats[i] + 1):
                best = i
        seats[best] += 1
    return tuple(seats)


def reversal(original: Split, refunded_before: int, refunded_after: int) -> Split:
    """The part of ``original`` a refund taking the refunded total from ``refunded_before``
    to ``refunded_after`` reverses (each share ≥ 0; they add to the refund)."""
    before = prorate(original.shares(), refunded_before)
    after = prorate(original.shares(), refunded_after)
    return Split(*(a - b for a, b in zip(after, before, strict=True)))
