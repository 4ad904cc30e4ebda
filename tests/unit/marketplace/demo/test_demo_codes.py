"""Check characters of GB 32100-2015 (USCC), GB 11714-1997 (organisation code) and
GB 11643-1999 (resident ID): published vectors, single-character mutations, and properties
checked against the standards' definitional weight formulas."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.demo import (
    is_valid_org_code,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    resident_id_check_char,
    uscc_check_char,
)
from marketplace.demo.rand import Weighted

USCC_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 表1 (no I, O, S, V, Z)
ID_SET = "0123456789X"

# GB 32100-2015, 校验码计算方法实例: the body 91350100M000100Y4 has weighted sum 1640,
# MOD 31 = 28, check value 31-28 = 3; the standard shows "91350100M000100Y4Z" as a wrong code.
# (Reproduced e.g. at https://www.yc00.com/web/1713075042a2177900.html.)
GB32100_EXAMPLE = "91350100M000100Y43"
GB32100_BAD_EXAMPLE = "91350100M000100Y4Z"
# A real code in public records: 华为技术有限公司, zh.wikipedia.org 華為 infobox (機構代碼).
HUAWEI_USCC = "914403001922038216"
# GB 11643-1999 附录A 公民身份号码实例 (zh.wikisource.org "GB 11643-1999 公民身份号码"):
# 北京市朝阳区 (female, check X) and 广东省汕头市潮阳县 (male, born 1880).
GB11643_EXAMPLES = ("11010519491231002X", "440524188001010014")


def _mutations(code: str, alphabet: str) -> list[str]:
    return [code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in alphabet
            if c != code[i]]


def _ref_uscc_check(body: str) -> str:
    """GB 32100-2015 §4.5 written from its formula: Wi = 3^(i-1) mod 31."""
    total = sum(USCC_SET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return USCC_SET[(31 - total % 31) % 31]


def _ref_id_check(body: str) -> str:
    """GB 11643-1999 §5.4 / ISO 7064 MOD 11-2: Wi = 2^(i-1) mod 11, i counted from the right
    with the check digit at i = 1; check value a1 with Σ(ai·Wi) ≡ 1 (mod 11)."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def test_gb32100_worked_example() -> None:
    assert uscc_check_char(GB32100_EXAMPLE[:17]) == "3"
    assert is_valid_uscc(GB32100_EXAMPLE)
    assert not is_valid_uscc(GB32100_BAD_EXAMPLE)
    # its characters 9-17 are a GB 11714 organisation code with a valid check character
    assert is_valid_org_code(GB32100_EXAMPLE[8:17])


def test_published_uscc_and_its_organisation_code() -> None:
    assert is_valid_uscc(HUAWEI_USCC)
    assert is_valid_org_code(HUAWEI_USCC[8:17])


@pytest.mark.parametrize("code", [GB32100_EXAMPLE, HUAWEI_USCC])
def test_every_single_character_change_breaks_a_uscc(code: str) -> None:
    assert not any(is_valid_uscc(m) for m in _mutations(code, USCC_SET))


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
def test_gb11643_appendix_examples(number: str) -> None:
    assert resident_id_check_char(number[:17]) == number[17]
    assert is_valid_resident_id(number)
    assert not any(is_valid_resident_id(m) for m in _mutations(number, ID_SET))


def test_lowercase_x_is_accepted_for_resident_ids_only_as_the_check_character() -> None:
    assert is_valid_resident_id(GB11643_EXAMPLES[0].lower())
    assert not is_valid_uscc(GB32100_EXAMPLE.lower())  # USCC letters are upper case


@pytest.mark.parametrize(
    "value",
    [None, 914403001922038216, "", "91440300192203821", "9144030019220382166",
     "91440300I922038216", "9144AB001922038216", " 914403001922038216"],
)
def test_malformed_usccs_are_rejected(value: object) -> None:
    assert not is_valid_uscc(value)


def _with_check(body: str) -> str:
    return body + _ref_id_check(body)


@pytest.mark.parametrize(
    "value",
    [
        _with_check("51060319990230123"),  # 30 February
        _with_check("51060317990101123"),  # before 1800
        _with_check("99060319900101123"),  # no such province
        _with_check("00060319900101123"),
        "51060319900101123",  # 17 characters
        "5106031990010112345",
        None,
        510603199001011234,
    ],
)
def test_impossible_resident_ids_are_rejected_even_with_a_matching_check(value: object) -> None:
    assert not is_valid_resident_id(value)


@given(st.text(alphabet=USCC_SET, min_size=17, max_size=17))
def test_uscc_check_matches_the_definitional_formula(body: str) -> None:
    assert uscc_check_char(body) == _ref_uscc_check(body)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_check_matches_the_definitional_formula(body: str) -> None:
    assert resident_id_check_char(body) == _ref_id_check(body)


@given(
    prefix=st.sampled_from(["91", "92", "93", "11", "52", "Y1"]),
    admin=st.from_regex(r"\A51[0-9]{4}\Z"),
    org=st.text(alphabet=USCC_SET, min_size=8, max_size=8),
    swap=st.integers(0, 15),
)
def test_made_usccs_validate_and_catch_adjacent_transpositions(
    prefix: str, admin: str, org: str, swap: int
) -> None:
    code = make_uscc(prefix, admin, org)
    assert is_valid_uscc(code) and is_valid_org_code(code[8:17])
    assert code[:2] == prefix and code[2:8] == admin and code[8:16] == org
    if code[swap] != code[swap + 1]:
        swapped = code[:swap] + code[swap + 1] + code[swap] + code[swap + 2 :]
        assert not is_valid_uscc(swapped)


@given(
    area=st.sampled_from(["510603", "510604", "510626", "510623", "510681", "510682",
                          "510683", "110105"]),
    birth=st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    female=st.booleans(),
    seed=st.integers(0, 2**32),
    swap=st.integers(0, 15),
)
def test_made_resident_ids_validate_and_encode_birth_and_sex(
    area: str, birth: dt.date, female: bool, seed: int, swap: int
) -> None:
    number = make_resident_id(random.Random(seed), area, birth, female)
    assert is_valid_resident_id(number)
    assert number[:6] == area and number[6:14] == birth.strftime("%Y%m%d")
    assert int(number[16]) % 2 == (0 if female else 1)  # GB 11643 §5.3: odd for men
    if number[swap] != number[swap + 1]:
        swapped = number[:swap] + number[swap + 1] + number[swap] + number[swap + 2 :]
        assert not is_valid_resident_id(swapped)


def test_bad_inputs_to_the_builders_raise() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("123")
    with pytest.raises(ValueError):
        resident_id_check_char("1234567890123456X")
    with pytest.raises(ValueError):
        make_uscc("91", "5106A3", "MA6ABCDE")
    with pytest.raises(ValueError):
        make_uscc("91", "510603", "MA6ABCDI")  # I is outside the GB 32100 set


@given(weights=st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(any),
       seed=st.integers(0, 2**32))
def test_weighted_never_picks_a_zero_weight_item(weights: list[int], seed: int) -> None:
    pick = Weighted(range(len(weights)), weights)
    rng = random.Random(seed)
    assert all(weights[pick(rng)] > 0 for _ in range(50))
