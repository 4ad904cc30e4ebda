"""Check-character validators used by PII detection.

* GB 11643-1999 resident ID and GB 32100-2015 USCC: re-exported from
  :mod:`marketplace.demo.codes` (one implementation; see its docstring).
* Luhn (ISO/IEC 7812-1 Annex B, "MOD 10"): from the rightmost digit, double every second digit,
  subtract 9 from products above 9, and the total must be ≡ 0 (mod 10).  It catches every
  single-digit error and every adjacent transposition except 09 ↔ 90.
* Bank cards: 13-19 digits, Luhn-valid, and an issuer prefix (IIN/BIN, ISO/IEC 7812-1) with
  the length that scheme issues — see :data:`CARD_PREFIXES`.
"""

from __future__ import annotations

from marketplace.demo.codes import (
    is_valid_org_code,
    is_valid_resident_id,
    is_valid_uscc,
    resident_id_check_char,
    uscc_check_char,
)

__all__ = [
    "CARD_PREFIXES",
    "card_scheme",
    "is_luhn_valid",
    "is_valid_bank_card",
    "is_valid_org_code",
    "is_valid_resident_id",
    "is_valid_uscc",
    "is_valid_uscc_strict",
    "luhn_check_digit",
    "resident_id_check_char",
    "uscc_check_char",
]

# (scheme, prefixes, allowed lengths).  Prefixes given as ranges are inclusive.
CARD_PREFIXES: tuple[tuple[str, tuple[tuple[int, int], ...], frozenset[int]], ...] = (
    ("unionpay", ((62, 62), (81, 81)), frozenset(range(16, 20))),
    ("visa", ((4, 4),), frozenset((13, 16, 19))),
    ("mastercard", ((51, 55), (2221, 2720)), frozenset((16,))),
    ("amex", ((34, 34), (37, 37)), frozenset((15,))),
    ("jcb", ((3528, 3589),), frozenset(range(16, 20))),
    ("discover", ((6011, 6011), (644, 649), (65, 65)), frozenset(range(16, 20))),
    ("diners", ((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),
    # ICBC's pre-UnionPay 9558 debit cards (19 digits) are still in circulation.
    ("icbc-9558", ((9558, 9558),), frozenset((19,))),
)


def _luhn_sum(digits: str) -> int:
    """Luhn sum of ``digits`` whose rightmost digit is not doubled."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to the digit string ``body``."""
    if not body.isascii() or not body.isdigit():
        raise ValueError("Luhn body must be ASCII digits")
    return str(-_luhn_sum(body + "0") % 10)


def is_luhn_valid(number: object) -> bool:
    """True if ``number`` is a string of ≥ 2 ASCII digits whose Luhn sum is ≡ 0 (mod 10)."""
    if not isinstance(number, str) or len(number) < 2:
        return False
    if not number.isascii() or not number.isdigit():
        return False
    return _luhn_sum(number) % 10 == 0


def card_scheme(number: str) -> str | None:
    """The card scheme whose issuer prefix and length fit ``number`` (digits), or None."""
    for scheme, ranges, lengths in CARD_PREFIXES:
        if len(number) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if number[:width].isdigit() and low <= int(number[:width]) <= high:
                return scheme
    return None


def is_valid_bank_card(number: object) -> bool:
    """True if ``number`` is 13-19 ASCII digits, Luhn-valid, with a known scheme prefix."""
    if not isinstance(number, str) or not 13 <= len(number) <= 19:
        return False
    return is_luhn_valid(number) and card_scheme(number) is not None


def is_valid_uscc_strict(code: object) -> bool:
    """GB 32100-2015 check character *and* the GB 11714-1997 check character of the embedded
    organisation code (characters 9-17) — favouring precision when scanning free text."""
    return is_valid_uscc(code) and is_valid_org_code(code[8:17])  # type: ignore[index]
