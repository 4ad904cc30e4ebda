"""The SQL conformity tests agree with Python on every value: GB 11643-1999 resident IDs and
GB 32100-2015 USCCs against the checksum validators of marketplace.pipeline.checksums (valid
numbers built with the demo generators, then corrupted), text shapes against ``re`` and
``datetime``, blanks against ``str.strip``, and quoted identifiers round-trip."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.demo import make_resident_id, resident_id_check_char, uscc_check_char
from marketplace.pipeline.checksums import is_valid_resident_id, is_valid_uscc
from marketplace.pipeline.quality_sql import (
    PROVINCES,
    USCC_CHARSET,
    blank,
    ident,
    semantic_helper,
    semantic_ok,
)

_CON: duckdb.DuckDBPyConnection | None = None


def _con() -> duckdb.DuckDBPyConnection:
    global _CON
    if _CON is None:
        _CON = duckdb.connect()
    return _CON


def _sql_ok(values: list[str | None], semantic: str, fam: str = "string") -> list[bool]:
    helper = semantic_helper('"v"', fam, semantic) or "NULL"
    ok = semantic_ok('"v"', fam, semantic, '"h"')
    sql = (f"SELECT coalesce({ok}, false) FROM (SELECT v, {helper} AS h FROM "
           f"(SELECT unnest($vals) AS v, generate_subscripts($vals, 1) AS i) ORDER BY i)")
    return [row[0] for row in _con().execute(sql, {"vals": values}).fetchall()]


def _mutate(data: st.DataObject, value: str, alphabet: str) -> str:
    kind = data.draw(st.sampled_from(["same", "char", "swap", "lower", "cut", "extend"]))
    i = data.draw(st.integers(0, len(value) - 1))
    if kind == "char":
        return value[:i] + data.draw(st.sampled_from(alphabet)) + value[i + 1:]
    if kind == "swap" and i + 1 < len(value):
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    if kind == "lower":
        return value.lower()
    if kind == "cut":
        return value[:i] + value[i + 1:]
    if kind == "extend":
        return value + data.draw(st.sampled_from(alphabet))
    return value


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from((*PROVINCES, "00", "99", "10"))) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True))
    if draw(st.booleans()):
        birth = draw(st.dates(dt.date(1790, 1, 1), dt.date(2110, 12, 31)))
        value = make_resident_id(random.Random(draw(st.integers(0, 99))), area, birth)
    else:  # impossible dates such as 19990230, with a correct check character
        body = area + draw(st.from_regex(r"(1[789]|20|21)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}",
                                         fullmatch=True))
        value = body + resident_id_check_char(body)
    return _mutate(draw(st.data()), value, "0123456789Xx ")


@st.composite
def usccs(draw: st.DrawFn) -> str:
    body = "".join(draw(st.lists(st.sampled_from(USCC_CHARSET), min_size=17, max_size=17)))
    value = body + uscc_check_char(body)
    return _mutate(draw(st.data()), value, USCC_CHARSET + "IOSVZa")


@settings(max_examples=30, deadline=None)
@given(st.lists(resident_ids(), min_size=1, max_size=40))
def test_resident_id_sql_matches_gb11643_validator(values: list[str]) -> None:
    assert _sql_ok(values, "resident_id") == [is_valid_resident_id(v) for v in values]


@settings(max_examples=30, deadline=None)
@given(st.lists(usccs(), min_size=1, max_size=40))
def test_uscc_sql_matches_gb32100_validator(values: list[str]) -> None:
    assert _sql_ok(values, "uscc") == [is_valid_uscc(v) for v in values]


def test_checksum_known_answers() -> None:
    # GB 11643-1999 §5.4 worked example (11010519491231002X) and a GB 32100-2015 code
    # assembled by the demo generator's independent implementation.
    ids = ["11010519491231002X", "11010519491231002x", "110105194912310021",
           "110105194902300028"]  # last: 1949-02-30 does not exist
    assert _sql_ok(ids, "resident_id") == [True, True, False, False]
    assert _sql_ok(["91510603MA60018R2G", "91510603MA60018R2H", None], "uscc") == [
        True, False, False]


def _date(v: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(v, fmt)
    except ValueError:
        return False
    return True


PYTHON: dict[str, Callable[[str], bool]] = {
    "mobile": lambda v: re.fullmatch(r"1[3-9]\d{9}", v, re.ASCII) is not None,
    "email": lambda v: re.fullmatch(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", v) is not None,
    "month": lambda v: re.fullmatch(r"\d{4}-\d{2}", v, re.ASCII) is not None
    and v[:4] != "0000" and _date(v, "%Y-%m"),
    "date": lambda v: re.fullmatch(r"\d{4}-\d{2}-\d{2}", v, re.ASCII) is not None
    and v[:4] != "0000" and _date(v, "%Y-%m-%d"),
    "integer": lambda v: re.fullmatch(r"[+-]?\d+", v, re.ASCII) is not None,
}
texts = st.one_of(
    st.dates().map(dt.date.isoformat), st.dates().map(lambda d: d.isoformat()[:7]),
    st.sampled_from(["0000-01-01", "0000-01", "2024-02-30", "2023-02-29", "2024-13"]),
    st.from_regex(r"1[0-9]{10}|[a-z.]{1,3}@[a-z-]{1,3}(\.[a-z0-9]{1,3}){1,2}|[0-9]{4}-[0-9]{2}"
                  r"(-[0-9]{2})?|[+-]?[0-9]{1,3}", fullmatch=True),
    st.text("0123456789-+@.ab", max_size=12),
)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(PYTHON)), st.lists(texts, min_size=1, max_size=30))
def test_text_shapes_match_python(semantic: str, values: list[str]) -> None:
    assert _sql_ok(values, semantic) == [PYTHON[semantic](v) for v in values]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.none() | st.text(" \t\n\r\f\u3000\u00a0\x0b\u2000ab德", max_size=4),
                min_size=1, max_size=20))
def test_blank_matches_strip(values: list[str | None]) -> None:
    sql = (f"SELECT {blank('v')} FROM (SELECT unnest($vals) AS v, "
           "generate_subscripts($vals, 1) AS i) ORDER BY i")
    got = [row[0] for row in _con().execute(sql, {"vals": values}).fetchall()]
    assert got == [None if v is None else v.strip(" \t\n\r\f\u3000") == "" for v in values]


@settings(max_examples=30, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               min_size=1, max_size=12))
def test_identifiers_round_trip(name: str) -> None:
    cur = _con().execute(f"SELECT 1 AS {ident(name)}")
    assert cur.description[0][0] == name
