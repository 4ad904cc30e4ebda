"""Check characters used by PII detection: Luhn (ISO/IEC 7812-1 Annex B), GB 11643-1999
resident IDs and GB 32100-2015 USCCs accept valid numbers and reject every single-character
substitution and every adjacent transposition the algorithm is designed to catch."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.demo import make_resident_id, make_uscc, uscc_check_char
from marketplace.pipeline.checksums import (
    card_scheme,
    is_luhn_valid,
    is_valid_bank_card,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_uscc_strict,
    luhn_check_digit,
)

DIGITS = "0123456789"
USCC_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 表1
ID_SET = DIGITS + "X"
# Real area codes (GB/T 2260): 旌阳区, 北京东城区, 广州越秀区, 兰州城关区, 乌鲁木齐天山区
AREAS = ("510603", "110101", "440104", "620102", "650102")


def _ref_luhn(number: str) -> bool:
    """Luhn from its definition: double every second digit from the right, add the digits of
    the products, total ≡ 0 (mod 10)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += sum(divmod(d, 10))
    return total % 10 == 0


def _substitutions(code: str, alphabet: str) -> list[str]:
    return [code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in alphabet
            if c != code[i]]


def _transpositions(code: str) -> list[str]:
    return [code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(len(code) - 1)
            if code[i] != code[i + 1]]


def test_luhn_published_vectors() -> None:
    # Wikipedia "Luhn algorithm": 7992739871 has check digit 3.
    assert luhn_check_digit("7992739871") == "3"
    assert is_luhn_valid("79927398713") and not is_luhn_valid("79927398710")
    # Card-network test numbers published in Stripe's testing docs (Visa, Mastercard,
    # UnionPay, American Express).
    for number, scheme in (("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
                           ("6200000000000005", "unionpay"), ("378282246310005", "amex")):
        assert is_valid_bank_card(number) and card_scheme(number) == scheme


@settings(deadline=None)
@given(st.text(DIGITS, min_size=12, max_size=18))
def test_luhn_check_digit_matches_definition(body: str) -> None:
    number = body + luhn_check_digit(body)
    assert is_luhn_valid(number) and _ref_luhn(number)
    for bad in _substitutions(number, DIGITS):
        assert not is_luhn_valid(bad)
    for bad in _transpositions(number):
        # Luhn's one blind spot: 09 <-> 90 keeps the sum.
        i = next(i for i in range(len(number)) if number[i] != bad[i])
        assert is_luhn_valid(bad) == (number[i : i + 2] in ("09", "90"))


@settings(deadline=None)
@given(st.text(DIGITS, min_size=2, max_size=19))
def test_luhn_agrees_with_reference_on_any_digits(number: str) -> None:
    assert is_luhn_valid(number) == _ref_luhn(number)


def test_luhn_rejects_non_digits() -> None:
    for value in ("", "0", "4242 4242 4242 4242", "４２４２４２４２", None, 4242424242424242):
        assert not is_luhn_valid(value)


@settings(deadline=None)
@given(st.sampled_from(["62", "4", "51", "2221", "9558"]), st.integers(13, 19), st.randoms())
def test_bank_card_needs_scheme_length_and_luhn(prefix: str, length: int, rnd: random.Random
                                                ) -> None:
    body = prefix + "".join(rnd.choice(DIGITS) for _ in range(length - len(prefix) - 1))
    number = body + luhn_check_digit(body)
    scheme = card_scheme(number)
    assert is_valid_bank_card(number) == (scheme is not None)
    if prefix == "62" and length >= 16:
        assert scheme == "unionpay"
    if prefix == "9558":
        assert (scheme is not None) == (length == 19)
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_bank_card(broken)
    assert not is_valid_bank_card("1" + number[1:])  # no scheme starts with 1


@settings(deadline=None)
@given(st.sampled_from(AREAS), st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)),
       st.randoms())
def test_resident_id_detects_substitutions_and_transpositions(
    area: str, birth: dt.date, rnd: random.Random
) -> None:
    code = make_resident_id(rnd, area, birth)
    assert is_valid_resident_id(code)
    for bad in _substitutions(code, ID_SET) + _transpositions(code):
        assert not is_valid_resident_id(bad), bad


@settings(deadline=None)
@given(st.sampled_from(["91", "92", "11", "51", "Y1"]), st.sampled_from(AREAS),
       st.text(USCC_SET[:10] + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_uscc_detects_substitutions_and_transpositions(prefix: str, area: str, org: str
                                                       ) -> None:
    code = make_uscc(prefix, area, org)
    assert is_valid_uscc(code) and is_valid_uscc_strict(code)
    for bad in _substitutions(code, USCC_SET) + _transpositions(code):
        assert not is_valid_uscc(bad), bad


def test_uscc_strict_also_checks_the_organisation_code() -> None:
    # GB 32100-2015 worked example (see tests/unit/marketplace/demo/test_demo_codes.py).
    assert is_valid_uscc_strict("91350100M000100Y43")
    # Same GB 32100 check character rules, but characters 9-17 with a wrong GB 11714 check:
    body = "91350100M000100Y5"
    code = body + uscc_check_char(body)
    assert is_valid_uscc(code) and not is_valid_uscc_strict(code)
