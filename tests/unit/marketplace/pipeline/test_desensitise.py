"""GB/T 37964-2019 de-identification techniques: masking keeps only what it says, keyed
hashing is HMAC-SHA256 (RFC 4231 vectors) and depends on the secret, tokens are separate from
hashes, and generalisation never increases precision."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marketplace.demo import make_resident_id
from marketplace.demo.places import DISTRICTS, address
from marketplace.pipeline.desensitise import (
    DEYANG_DISTRICTS,
    address_to_district,
    age_band,
    birth_date_from_resident_id,
    date_to_month,
    date_to_year,
    keyed_hash,
    mask,
    number_bucket,
    suppress,
    tokenise,
)

SECRET = b"element-secret-0123456789abcdef"
secrets = st.binary(min_size=16, max_size=40)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@pytest.mark.parametrize("fn", [
    lambda v: mask(v, 1, 1), lambda v: keyed_hash(v, SECRET), lambda v: tokenise(v, SECRET),
    date_to_month, date_to_year, age_band, lambda v: number_bucket(v, 10),
    birth_date_from_resident_id, address_to_district, suppress,
])
def test_none_passes_through(fn) -> None:
    assert fn(None) is None


@settings(deadline=None)
@given(st.text(st.characters(blacklist_characters="\0"), max_size=30), st.integers(0, 40),
       st.integers(0, 40))
def test_mask_keeps_only_the_ends_and_always_hides_something(value: str, first: int, last: int
                                                             ) -> None:
    out = mask(value, first, last, char="\0")
    assert out is not None and len(out) == len(value)
    hidden = [i for i, c in enumerate(out) if c == "\0"]
    if value:
        assert hidden, "at least one character is masked"
        lo, hi = hidden[0], hidden[-1] + 1
        assert hidden == list(range(lo, hi)) and lo <= first and len(value) - hi <= last
        assert out[:lo] == value[:lo] and out[hi:] == value[hi:]
    assert mask(value, first, last) == mask(value, first, last)


def test_mask_examples() -> None:
    assert mask("13812345678", 3, 4) == "138****5678"
    assert mask("张三", 1, 1) == "张*"
    assert mask("a", 3, 3, "#") == "#"


def test_keyed_hash_is_hmac_sha256() -> None:
    # RFC 4231 §4.2 (test case 1) and §4.7 (test case 6, key longer than the block).
    assert keyed_hash("Hi There", b"\x0b" * 20) == (
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    assert keyed_hash(b"Test Using Larger Than Block-Size Key - Hash Key First",
                      b"\xaa" * 131) == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")


@settings(deadline=None)
@given(st.text(max_size=40), secrets, secrets)
def test_keyed_hash_is_deterministic_per_secret(value: str, s1: bytes, s2: bytes) -> None:
    assert keyed_hash(value, s1) == keyed_hash(value, s1) == keyed_hash(value.encode(), s1)
    assert re.fullmatch(r"[0-9a-f]{64}", keyed_hash(value, s1) or "")
    if s1 != s2:
        assert keyed_hash(value, s1) != keyed_hash(value, s2)
    assert keyed_hash(value + "x", s1) != keyed_hash(value, s1)


def test_keyed_hash_refuses_short_secrets() -> None:
    with pytest.raises(ValueError):
        keyed_hash("x", b"short")
    with pytest.raises(ValueError):
        tokenise("x", "a str is not bytes" * 2)  # type: ignore[arg-type]


@settings(deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), secrets)
def test_tokens_are_deterministic_unlinkable_to_hashes_and_vaulted(a: str, b: str, s: bytes
                                                                   ) -> None:
    vault: dict[str, str] = {}
    token = tokenise(a, s, vault)
    assert token is not None and re.fullmatch(r"tok_[a-z2-7]{24}", token)
    assert tokenise(a, s) == token and vault == {token: a}
    assert token[4:] not in (keyed_hash(a, s) or "")
    if a != b:
        assert tokenise(b, s, vault) != token and len(vault) == 2


def test_vault_detects_a_collision() -> None:
    token = tokenise("alice", SECRET)
    assert token is not None
    with pytest.raises(ValueError):
        tokenise("alice", SECRET, {token: "bob"})


@settings(deadline=None)
@given(dates)
def test_dates_generalise_to_month_and_year(d: dt.date) -> None:
    forms = [d, dt.datetime(d.year, d.month, d.day, 13, 5), d.isoformat(), f"{d:%Y/%m/%d}",
             f"{d:%Y%m%d}", f"{d.year}年{d.month}月{d.day}日", f"{d.isoformat()} 08:00:00"]
    for form in forms:
        assert date_to_month(form) == f"{d:%Y-%m}"
        assert date_to_year(form) == f"{d:%Y}"
    month = date_to_month(d)
    # Generalising a generalised value gives itself or something coarser — so every value
    # mapping to the same month also maps to the same year (the year's preimage is a superset).
    assert date_to_month(month) == month
    assert date_to_year(month) == date_to_year(d) == date_to_year(date_to_year(d))


@pytest.mark.parametrize("bad", ["2024-02-30", "2024-13", "yesterday", "2024-00-10",
                                 "2024-03-051", "12345"])
def test_impossible_dates_raise(bad: str) -> None:
    with pytest.raises(ValueError):
        date_to_month(bad)


def test_year_is_coarser_than_month() -> None:
    with pytest.raises(ValueError):
        date_to_month("2024")


@settings(deadline=None)
@given(st.integers(0, 130), st.sampled_from([1, 2, 5, 10]), st.integers(1, 4))
def test_age_bands_contain_the_age_and_nest(age: int, width: int, factor: int) -> None:
    band = age_band(age, width)
    assert band is not None
    low, high = map(int, band.split("-"))
    assert low <= age <= high and high - low + 1 == width and low % width == 0
    assert age_band(band, width) == band
    assert age_band(band, width * factor) == age_band(age, width * factor)


def test_age_band_rejects_a_band_that_does_not_fit() -> None:
    with pytest.raises(ValueError):
        age_band("25-34", 10)
    with pytest.raises(ValueError):
        age_band(-1)


numbers = st.one_of(st.integers(-10**6, 10**6),
                    st.decimals(-10**4, 10**4, places=3, allow_nan=False, allow_infinity=False))


@settings(deadline=None)
@given(numbers, st.sampled_from(["1", "0.5", "10", "100", "0.25"]), st.integers(1, 5))
def test_number_buckets_contain_the_value_and_nest(x: object, width: str, factor: int) -> None:
    bucket = number_bucket(x, Decimal(width))
    m = re.fullmatch(r"\[(\S+), (\S+)\)", bucket or "")
    assert m
    low, high = Decimal(m[1]), Decimal(m[2])
    assert low <= Decimal(str(x)) < high and high - low == Decimal(width)
    assert number_bucket(bucket, Decimal(width)) == bucket
    coarse = Decimal(width) * factor
    assert number_bucket(bucket, coarse) == number_bucket(x, coarse)


def test_number_bucket_examples() -> None:
    assert number_bucket(123, 100) == "[100, 200)"
    assert number_bucket(-0.5, 1) == "[-1, 0)"
    assert number_bucket(1.75, 0.5) == "[1.5, 2)"
    with pytest.raises(ValueError):
        number_bucket("[150, 250)", 100)
    with pytest.raises(ValueError):
        number_bucket(float("nan"), 1)


@settings(deadline=None)
@given(st.sampled_from(DISTRICTS), st.randoms())
def test_deyang_addresses_generalise_to_their_district(district, rnd: random.Random) -> None:
    addr = address(rnd, district)
    assert address_to_district(addr) == district.name
    assert address_to_district(district.name) == district.name
    assert district.name in DEYANG_DISTRICTS


@pytest.mark.parametrize(("addr", "expected"), [
    ("四川省成都市武侯区人民南路四段1号", "四川省成都市武侯区"),
    ("北京市朝阳区建国路88号", "北京市朝阳区"),
    ("阿坝藏族羌族自治州汶川县映秀镇", "阿坝藏族羌族自治州汶川县"),
    ("德阳市广汉市三星堆镇", "广汉市"),
    ("罗江县万安镇文星路3号", "罗江区"),  # renamed in 2017
    ("四川省德阳市", "四川省德阳市"),  # no county-level unit: the prefecture is coarser
    ("长江西路一段锦绣小区", None),  # a street is finer than a district: nothing to keep
])
def test_address_examples(addr: str, expected: str | None) -> None:
    assert address_to_district(addr) == expected


@settings(deadline=None)
@given(st.lists(st.sampled_from(["四川省", "成都市", "武侯区", "德阳市", "旌阳区", "中江县",
                                 "金牛区", "长江西路", "锦绣", "小区", "1号", "镇", "新"]),
                max_size=6))
def test_address_generalisation_is_idempotent(parts: list[str]) -> None:
    district = address_to_district("".join(parts))
    assume(district is not None)
    assert address_to_district(district) == district
    assert "".join(parts).startswith(district) or district in DEYANG_DISTRICTS


@settings(deadline=None)
@given(st.sampled_from(["510603", "510626", "110105"]), dates, st.randoms())
def test_birth_date_from_resident_id(area: str, birth: dt.date, rnd: random.Random) -> None:
    code = make_resident_id(rnd, area, birth)
    assert birth_date_from_resident_id(code) == birth
    with pytest.raises(ValueError):
        birth_date_from_resident_id(code[:-1] + ("0" if code[-1] != "0" else "1"))


def test_suppress_removes_the_value() -> None:
    assert suppress("13812345678") is None
