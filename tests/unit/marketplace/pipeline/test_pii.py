"""PII detection in free text: planted identifiers are found with exact spans, look-alikes are
not, and redaction leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.demo import make_resident_id, make_uscc
from marketplace.pipeline.checksums import is_luhn_valid, luhn_check_digit
from marketplace.pipeline.names import COMPOUND_SURNAMES, SURNAMES
from marketplace.pipeline.pii import (
    KINDS,
    PREFILTER,
    PREFILTER_GLOBS,
    Finding,
    kinds_of_values,
    redact_text,
    redact_values,
    register_duckdb,
    scan_text,
    scan_values,
)

# Filler: common characters, minus everything a detector keys on (name triggers and
# honorifics, plate provinces and suffixes, number labels such as 订单号).
_COMMON = ("的一了在有这个上们到说地为子中你出道也时年得就要下以会自着去之过家学对可里后么心"
           "多天而能好都然没日于起还发成事只作想看文无开手十用行方又如前见经头面公同三已老从"
           "动两长知样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿向情部正定"
           "问力机给等几很业最间什打便位因重被走四第门相次东政口使教西再平真听世气信北少关并"
           "内加化由却代军产入山五太万眼体别处总才场师书比住员九笑性通目华报立命活难神数件安")
_EXCLUDE = set("我叫是本人市民来电投诉反映申请当事户主姓名联系收件患者先生女士小姐号码学挂警"
               "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
FILLER = "".join(c for c in _COMMON if c not in _EXCLUDE)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志辉鹏宇浩然梓涵轩欣怡雨"
NOISY = FILLER + "0123456789 -+@.()AZx川京先生女士我叫市民"
AREAS = ("510603", "510626", "510681", "110105", "440524", "620102")
PROVINCE_PLATES = "京沪川渝粤浙"


def _mobile(r: random.Random) -> str:
    digits = "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))
    style = r.randrange(5)
    if style == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return ("", "", "", "+86 ", "+86")[style] + digits


def _card(r: random.Random) -> str:
    body = "62" + "".join(r.choice("0123456789") for _ in range(r.choice((13, 15, 16))))
    number = body + luhn_check_digit(body)
    if len(number) == 16 and r.random() < 0.5:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def _plate(r: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    head = r.choice(PROVINCE_PLATES) + r.choice(letters)
    if r.random() < 0.5:  # new-energy small car: D/F + letter/digit + 4 digits
        serial = r.choice("DF") + r.choice(letters + "0123456789")
        return head + serial + f"{r.randrange(10**4):04d}"
    return head + f"{r.randrange(10**5):05d}"


def _name(r: random.Random) -> str:
    surname = r.choice(sorted(SURNAMES) + list(COMPOUND_SURNAMES))
    return surname + "".join(r.choice(GIVEN) for _ in range(r.randint(1, 2)))


MAKERS = {
    "resident_id": lambda r: make_resident_id(
        r, r.choice(AREAS), dt.date(1940, 1, 1) + dt.timedelta(days=r.randrange(25000))),
    "uscc": lambda r: make_uscc(r.choice(("91", "92", "52")), r.choice(AREAS),
                                "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                        for _ in range(8))),
    "bank_card": _card,
    "mobile": _mobile,
    "landline": lambda r: r.choice(("0838-", "(028)", "028", "010-")) + str(r.randrange(2, 10))
    + "".join(r.choice("0123456789") for _ in range(r.choice((6, 7)))),
    "email": lambda r: r.choice(("zhang.san", "li_si+hotline", "w9")) + "@"
    + r.choice(("example.com", "mail.dy.gov.cn", "qq.com")),
    "plate": _plate,
    "name": _name,
}


@st.composite
def planted_text(draw: st.DrawFn) -> tuple[str, list[tuple[str, int, int, str]]]:
    """Random filler with PII planted between non-empty runs of filler."""
    r = draw(st.randoms(use_true_random=False))
    kinds = draw(st.lists(st.sampled_from(KINDS), max_size=6))
    text, expected = "", []
    for kind in kinds:
        text += "".join(r.choice(FILLER) for _ in range(r.randint(1, 8)))
        if kind == "name":
            text += r.choice(("我叫", "联系人：", "来电人"))
        value = MAKERS[kind](r)
        expected.append((kind, len(text), len(text) + len(value), value))
        text += value
        if kind == "name":
            text += r.choice("，。、 ")
    text += "".join(r.choice(FILLER) for _ in range(r.randint(0, 8)))
    return text, expected


@settings(deadline=None)
@given(planted_text())
def test_planted_pii_is_found_with_exact_spans(case) -> None:
    text, expected = case
    found = [(f.kind, f.start, f.end, f.value) for f in scan_text(text)]
    assert found == expected


@settings(deadline=None)
@given(planted_text())
def test_redaction_removes_every_planted_value(case) -> None:
    text, expected = case
    redacted = redact_text(text)
    assert scan_text(redacted) == []
    for _kind, _, _, value in expected:
        assert value not in redacted
    assert redacted.count("[") == len(expected)
    assert redact_text(text, lambda f: "#" * (f.end - f.start)).count("#") == sum(
        e - s for _, s, e, _ in expected)


@settings(deadline=None)
@given(st.text(NOISY, max_size=60))
def test_findings_are_ordered_disjoint_slices(text: str) -> None:
    found = scan_text(text)
    for f in found:
        assert text[f.start : f.end] == f.value and f.kind in KINDS
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def _kinds(text: str) -> list[str]:
    return [f.kind for f in scan_text(text)]


def test_look_alikes_are_not_pii() -> None:
    rid = make_resident_id(random.Random(1), "510603", dt.date(1985, 6, 1))
    assert _kinds("原手机号138****5678已停用") == []
    assert _kinds(f"身份证{rid}") == ["resident_id"]
    for longer in (f"1{rid}", f"{rid}7", f"编号{rid}00"):  # inside a longer digit run
        assert "resident_id" not in _kinds(longer)
    assert _kinds("电话013812345678") == []  # a mobile is 11 digits, not 12
    assert _kinds("单号13812345678901") == []
    assert _kinds("座机0838-2123456") == ["landline"]
    assert _kinds("手机13812345678") == ["mobile"]
    assert _kinds("金额12345678元") == []


@settings(deadline=None)
@given(st.sampled_from(["4", "62", "52", "1", "7"]), st.text("0123456789", min_size=15,
                                                              max_size=15))
def test_sixteen_digit_order_numbers_are_cards_only_when_luhn_valid_and_unlabelled(
    head: str, rest: str
) -> None:
    number = (head + rest)[:16]  # Visa 4, UnionPay 62, Mastercard 52; no scheme uses 1 or 7
    card_like = head not in ("1", "7")
    assert ("bank_card" in _kinds(f"支付卡{number}。")) == (is_luhn_valid(number) and card_like)
    assert _kinds(f"订单号{number}。") == [] and _kinds(f"流水号：{number}") == []


def test_unionpay_card_with_spaces() -> None:
    body = "622202123456789"
    card = body + luhn_check_digit(body)
    grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    assert scan_text(f"卡号{grouped}谢谢") == [Finding("bank_card", 2, 21, grouped)]


def test_plate_examples() -> None:
    assert _kinds("车牌川F12345") == ["plate"] and _kinds("车牌川AD12345违停") == ["plate"]
    assert _kinds("川F·A1234挂") == ["plate"] and _kinds("粤B12345D") == ["plate"]
    assert _kinds("川A1234") == [] and _kinds("川AABCDE") == [] and _kinds("川A123456") == []


@pytest.mark.parametrize(("text", "names"), [
    ("来电人王芳称，回访请联系张女士。", ["王芳", "张"]),
    ("我叫欧阳娜娜，家住旌阳区", ["欧阳娜娜"]),
    ("姓名：李建国 电话", ["李建国"]),
    ("王小明先生反映", ["王小明"]),
    ("市民来电反映：这位女士说", []),  # 来 and 位 are not on the surname list
    ("我是本小区业主，市民通过微信反映", []),
    ("本人身份证号码", []),
    ("张三说的没错", []),  # no context, no name
])
def test_name_examples(text: str, names: list[str]) -> None:
    assert [f.value for f in scan_text(text) if f.kind == "name"] == names


def test_scan_values_reports_counts_and_masked_examples() -> None:
    values = ["请回电13812345678。", None, "无", "手机13900001111，座机0838-2123456", "13700000000"]
    report = scan_values(values, sample_limit=2)
    assert (report.rows, report.nulls, report.rows_with_hits) == (5, 1, 3)
    assert report.counts == {"mobile": 3, "landline": 1}
    assert report.rows_by_kind == {"mobile": 3, "landline": 1}
    assert report.examples == (("mobile", "138******78"), ("mobile", "139******11"))
    assert report.kinds == ("mobile", "landline")


def test_kind_filter_and_unknown_kinds() -> None:
    text = "手机13812345678，座机0838-2123456"
    assert _kinds(text) == ["mobile", "landline"]
    assert [f.kind for f in scan_text(text, ("landline",))] == ["landline"]
    assert redact_text(text, kinds=("mobile",)) == "手机[mobile]，座机0838-2123456"
    with pytest.raises(ValueError):
        scan_text(text, ("phone",))


def test_column_helpers_keep_nulls() -> None:
    values = ["手机13812345678，我叫王芳。", None, "无"]
    assert redact_values(values) == ["手机[mobile]，我叫[name]。", None, "无"]
    assert kinds_of_values(values) == ["mobile,name", None, None]


def test_duckdb_udfs() -> None:
    pytest.importorskip("numpy", reason="DuckDB's create_function needs numpy")
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    register_duckdb(con)
    rows = con.execute(
        "SELECT pii_redact(t), pii_kinds(t) FROM (VALUES ('电话13812345678'), (NULL)) v(t)"
    ).fetchall()
    assert rows == [("电话[mobile]", "mobile"), (None, None)]


@settings(deadline=None)
@given(st.one_of(planted_text().map(lambda case: case[0]), st.text(NOISY, max_size=60)))
def test_prefilter_regex_only_skips_texts_without_findings(text: str) -> None:
    if scan_text(text):
        assert re.search(PREFILTER, text)


def test_prefilter_runs_in_duckdb() -> None:
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.connect().execute(
        "SELECT t, regexp_matches(t, ?) FROM (VALUES ('电话13812345678'), ('路灯坏了'), "
        "('张女士'), ('川F12345'), ('a@b.cn')) v(t) ORDER BY t", [PREFILTER]
    ).fetchall()
    assert [hit for _, hit in rows] == [bool(re.search(PREFILTER, t)) for t, _ in rows]
    assert sum(hit for _, hit in rows) == 4


@pytest.mark.parametrize("text", [
    "41e5191b8d8d464fbb1f94cb76dd7953a22c22af35df7b620eb6da9913915cd2",  # keyed hash
    "195****8435", "身份证号[resident_id]的户籍迁移问题", "韩**", "ab12345678901234567",
    "1234567" + "a3f" * 19,  # a hash that starts with 7 digits: its run is 64 characters long
])
def test_prefilter_skips_hashes_masks_and_labels(text: str) -> None:
    assert not scan_text(text)
    assert not re.search(PREFILTER, text)


@pytest.mark.parametrize("text", [
    "Y15106005MA62TG6L1H", "联系电话:+86 138 1234 5678", "(028)81234567", "卡号6222 0212 3456 7890",
    "13812345678", "tel 138-1234-5678",
])
def test_prefilter_passes_numbers_at_run_starts(text: str) -> None:
    assert re.search(PREFILTER, text)


_GLOB_TEXT = st.one_of(planted_text().map(lambda case: case[0]),
                       st.text(NOISY + "BFHINOY叫是主姓名联系收患者 -", max_size=40))


@functools.cache
def _duckdb() -> Any:
    """One in-memory DuckDB for every example (a new connection cost more than the query)."""
    return pytest.importorskip("duckdb").connect()


@settings(max_examples=300, deadline=None)
@given(st.lists(_GLOB_TEXT, min_size=1, max_size=20))
def test_every_prefilter_match_matches_a_prefilter_glob(texts: list[str]) -> None:
    """The GLOBs DuckDB tests per dictionary entry (elements.gate) never drop a PREFILTER row."""
    globs = " OR ".join("t GLOB ?" for _ in PREFILTER_GLOBS)
    rows = _duckdb().execute(
        f"SELECT t, regexp_matches(t, ?), {globs} FROM unnest(?) u(t)",
        [PREFILTER, *PREFILTER_GLOBS, texts]).fetchall()
    assert len(rows) == len(texts)
    for text, prefiltered, globbed in rows:
        assert globbed or not prefiltered, text
